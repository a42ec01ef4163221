"""Who owns a seeded lead, and how the newest ones are routed.

The one place that decides owners: bulk-loaded leads get an owner by the demo's
weights and no assignment log; the newest open leads of a run then go through the
real routing service (leads.services.routing), so every LeadAssignment row in the
demo is a decision the rules made.
"""

import datetime

from leads.models import Lead, LeadState
from leads.services.routing import bulk_route_leads

ROUTED_LEADS = 300  # newest open leads routed through the routing service per run
ROUTED_WITHIN_DAYS = 45


def pick_owner(ctx):
    """(owner user id, owner team id, business unit id) by the owners' weights."""
    return ctx.rng.choices(ctx.owner_ids, cum_weights=ctx.owner_cum)[0]


def route_recent(ctx, added: int) -> None:
    """Route this run's newest open leads (at most ROUTED_LEADS) by the rules."""
    recent = Lead.objects.filter(
        state=LeadState.OPEN,
        created_at__gte=ctx.now - datetime.timedelta(days=ROUTED_WITHIN_DAYS),
        assignments__isnull=True,
    ).order_by("-created_at")[: min(added, ROUTED_LEADS)]
    bulk_route_leads(leads=list(recent), by=ctx.users["admin"], trigger="seed")
