"""Reads for the routing page: the ordered rules, the unassigned queue and the
assignment log, the last two through the scope gate."""

from leads.models import LeadAssignment, LeadState, RoutingRule
from leads.selectors.leads import list_leads
from leadsite.permissions import scope_q


def rule_conditions(rule: RoutingRule) -> list[str]:
    """Human-readable conditions of a rule; empty means it matches every lead.

    Uses only columns of the rule and the related rows selected by list_routing_rules.
    """
    parts = []
    if rule.source is not None:
        parts.append(f"source is {rule.get_source_display()}")
    if rule.country:
        parts.append(f"country is {rule.country}")
    if rule.industry is not None:
        parts.append(f"industry is {rule.get_industry_display()}")
    if rule.min_employees is not None:
        parts.append(f"employees ≥ {rule.min_employees:,}")
    if rule.max_employees is not None:
        parts.append(f"employees ≤ {rule.max_employees:,}")
    if rule.min_estimated_value is not None:
        parts.append(f"est. value ≥ {rule.min_estimated_value:,.2f}")
    if rule.max_estimated_value is not None:
        parts.append(f"est. value ≤ {rule.max_estimated_value:,.2f}")
    if rule.campaign_id:
        parts.append(f"campaign is {rule.campaign}")
    if rule.channel_partner_id:
        parts.append(f"channel partner is {rule.channel_partner}")
    if rule.capture_form_id:
        parts.append(f"capture form is {rule.capture_form}")
    if rule.lead_business_unit_id:
        parts.append(f"business unit is {rule.lead_business_unit}")
    return parts


def list_routing_rules() -> list[RoutingRule]:
    """Every rule in evaluation order (active and inactive), each with a
    `conditions` list for display. Rules are organisation settings, not owned
    records, so every signed-in user may read them."""
    rules = list(
        RoutingRule.objects.select_related(
            "business_unit",
            "campaign",
            "channel_partner",
            "capture_form",
            "lead_business_unit",
            "target_user",
            "target_team",
        ).order_by("order", "id")
    )
    for rule in rules:
        rule.conditions = rule_conditions(rule)
    return rules


def unassigned_queue(*, user):
    """Open leads owned by a team rather than a person, in the user's scope, oldest
    first (the ones waiting longest)."""
    return (
        list_leads(user=user)
        .filter(state=LeadState.OPEN, owner_team__isnull=False)
        .select_related("owner_team", "business_unit")
        .order_by("created_at", "id")
    )


def recent_assignments(*, user, limit: int = 50):
    """The latest assignment log entries for leads in the user's scope.

    Log rows are appended as routing decides, so id order is time order; ordering by
    id lets the primary key index serve the page (created_at has no index of its own).
    """
    entries = LeadAssignment.objects.select_related(
        "lead", "rule", "assigned_user", "assigned_team", "by"
    ).order_by("-id")
    scope = scope_q(user, prefix="lead__")
    if scope is not None:
        entries = entries.filter(scope)
    return entries[:limit]
