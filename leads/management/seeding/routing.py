"""Who owns a seeded lead, and the assignment log rows that say why.

Kept apart from the other row builders on purpose: this is the one place that
decides owners and writes LeadAssignment rows, so the seeder can be switched to the
real routing service without touching the rest.
"""

from leads.management.seeding.values import FALLBACK, MATCHED

ASSIGNMENT_LOG_DAYS = 45  # leads younger than this get an assignment log row


def pick_owner(ctx):
    """(owner user id, owner team id, business unit id) by the owners' weights."""
    return ctx.rng.choices(ctx.owner_ids, cum_weights=ctx.owner_cum)[0]


def assignment_rows(ctx, leads):
    """LeadAssignment rows for the recent leads of a batch: the first rule that
    matches the lead's source, country and value, else the fallback."""
    return [
        _assignment_row(ctx, lead)
        for lead in leads
        if (ctx.now - lead["created_at"]).days < ASSIGNMENT_LOG_DAYS
    ]


def _assignment_row(ctx, lead):
    source, country = lead["source"], lead["country"]
    value = lead["estimated_value"] or 0
    rule = next(
        (
            r
            for r in ctx.rule_rows
            if (r[1] is None or r[1] == source)
            and (not r[2] or r[2] == country)
            and (r[3] is None or value >= r[3])
        ),
        None,
    )
    return {
        "lead_id": lead["id"],
        "rule_id": rule[0] if rule else None,
        "assigned_user_id": lead["owner_user_id"],
        "assigned_team_id": lead["owner_team_id"],
        "reason": MATCHED if rule else FALLBACK,
        "detail": rule[4] if rule else "no match: fallback",
        "created_at": lead["created_at"],
    }
