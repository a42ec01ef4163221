"""Row locks for lead writes, in one documented order.

Lock order (every service follows it, so two services never wait on each other in
a cycle on PostgreSQL):
1. leads before their children (activities, notes, attachments, links, interests);
2. several leads by ascending pk (merge locks master and subordinate together);
3. records of the accounts app (opportunity, account) after the leads;
4. routing: after the lead, the round-robin rule's row, then the candidate users by
   ascending id.
5. scoring: the frequency-table rows (leads_scorecount) last, in (scope, field,
   value) order (leads.services.scoring), held to the end of the close or reopen:
   closes elsewhere in the organisation wait for the totals row, they never cycle.

So complete_activity locks the activity's lead, then the activity; merge_leads locks
both leads (by pk), then moves their children. The helpers lock the lead rows only
(select_for_update(of=("self",))), whatever the queryset joins. SQLite has no row
locks: there the helpers simply read the fresh rows.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.utils.translation import gettext

from leads.exceptions import TransitionRefused
from leads.models import Lead

# Leads a batch locked with lock_leads and changes only through the services it
# calls, by the identity of their instances (see holding).
_held: ContextVar[dict | None] = ContextVar("leads_held", default=None)


@contextmanager
def holding(leads):
    """Within the block, lock_lead given one of these very instances (locked by
    lock_leads in this transaction, changed since only through the services the
    block calls, which keep the instance as they save it) returns it without
    reading the row again: a mass update's chunk locks its leads once, not once
    per service it runs on each."""
    token = _held.set({id(lead): lead for lead in leads if lead is not None})
    try:
        yield
    finally:
        _held.reset(token)


def _held_instance(lead) -> Lead | None:
    held = _held.get()
    if held and held.get(id(lead)) is lead:
        return lead
    return None


def lock_lead(lead: Lead | int, *, related=("qualifying_opportunity",)) -> Lead:
    """The lead's row (a Lead or its pk), freshly read and locked until the
    transaction ends, with its `related` records (unlocked) loaded: by default the
    qualifying opportunity, for the transition guards; `related=()` loads none.

    The locking statement reads the lead's table alone. Joined to another table,
    a lock that waited for a concurrent change of the lead is taken on the new
    row, but PostgreSQL re-checks the join against the other table's row as first
    read: when the change moved the lead to another business unit (or owner), the
    join no longer holds and the lead reads as missing. So the related records
    are read after the lock, in a second statement (only when one is set).
    """
    pk = getattr(lead, "pk", lead)
    locked = _held_instance(lead)
    if locked is None:
        try:
            locked = Lead.objects.select_for_update(of=("self",)).get(pk=pk)
        except Lead.DoesNotExist:
            raise TransitionRefused(gettext("This lead no longer exists.")) from None
    wanted = [
        name
        for name in related
        if getattr(locked, _field(name).attname) is not None
        and not _field(name).is_cached(locked)
    ]
    if wanted:
        # The row is locked: this statement sees the version just locked.
        first = {name.split("__")[0] for name in wanted}
        joined = Lead.objects.select_related(*wanted).only(*first).get(pk=pk)
        for name in first:
            field = _field(name)
            field.set_cached_value(locked, field.get_cached_value(joined))
    return locked


def _field(name):
    return Lead._meta.get_field(name.split("__")[0])


def lock_leads(queryset, pks) -> dict[int, Lead]:
    """Lock the leads `pks` of `queryset` (scope it first) in pk order: {pk: lead}."""
    return {
        lead.pk: lead
        for lead in queryset.select_for_update(of=("self",))
        .filter(pk__in=pks)
        .order_by("pk")
    }
