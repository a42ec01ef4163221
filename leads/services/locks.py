"""Row locks for lead writes, in one documented order.

Lock order (every service follows it, so two services never wait on each other in
a cycle on PostgreSQL):
1. leads before their children (activities, notes, attachments, links, interests);
2. several leads by ascending pk (merge locks master and subordinate together);
3. records of the accounts app (opportunity, account) after the leads.

So complete_activity locks the activity's lead, then the activity; merge_leads locks
both leads (by pk), then moves their children. SQLite has no row locks: there the
helpers simply read the fresh rows.
"""

from leads.exceptions import TransitionRefused
from leads.models import Lead


def lock_lead(lead: Lead | int, *, related=("qualifying_opportunity",)) -> Lead:
    """The lead's row (a Lead or its pk), freshly read and locked until the
    transaction ends, with its `related` records joined, unlocked: by default the
    qualifying opportunity, for the transition guards."""
    pk = getattr(lead, "pk", lead)
    try:
        return (
            Lead.objects.select_for_update(of=("self",))
            .select_related(*related)
            .get(pk=pk)
        )
    except Lead.DoesNotExist:
        raise TransitionRefused("This lead no longer exists.") from None


def lock_leads(queryset, pks) -> dict[int, Lead]:
    """Lock the leads `pks` of `queryset` (scope it first) in pk order: {pk: lead}."""
    return {
        lead.pk: lead
        for lead in queryset.select_for_update().filter(pk__in=pks).order_by("pk")
    }
