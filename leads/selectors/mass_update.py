"""Reads for mass updates: the leads a user may change, a filter's leads with their
versions, the jobs a user may see, and a job's progress and report."""

from collections import Counter

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.formats import localize
from django.utils.translation import gettext

from accounts.permissions import is_administrator, is_manager, unit_subtree_ids
from leads.models import (
    Lead,
    MassUpdate,
    MassUpdateOutcome,
    MassUpdateStatus,
    UndoOutcome,
)
from leads.models.mass_update import OWNER_KEYS
from leads.selectors.leads import filter_leads, list_leads

# Skipped leads listed on the report page (all of them in its CSV).
REPORT_ROWS = 200
WORKING = (MassUpdateStatus.QUEUED, MassUpdateStatus.RUNNING, MassUpdateStatus.UNDOING)


def may_mass_update(user) -> bool:
    """Whether `user` may change leads at all (the scope says which)."""
    return user.is_active and user.has_perm("leads.change_lead")


def editable_lead_ids(*, user, ids) -> set[int]:
    """Those of `ids` that are leads `user` may change (in the user's scope)."""
    if not may_mass_update(user):
        return set()
    return set(list_leads(user=user).filter(pk__in=ids).values_list("pk", flat=True))


def matching_leads(*, user, query: str):
    """The leads of the lead list's filter `query` (its query string) in the user's
    scope, by id; None when the filter is not valid."""
    leadfilter = filter_leads(user=user, params=QueryDict(query))
    if not leadfilter.is_valid():
        return None
    return leadfilter.qs.order_by()


def count_up_to(queryset, limit: int) -> int:
    """How many rows `queryset` has, counting no further than `limit` + 1."""
    return queryset.values("pk")[: limit + 1].count()


def selection_of(queryset, *, limit: int | None = None):
    """(id, version) of each lead of `queryset` (the first `limit`), in id order,
    read a chunk at a time."""
    rows = queryset.order_by("pk").values_list("pk", "version")
    if limit is not None:
        rows = rows[:limit]
    return rows.iterator(chunk_size=2000)


def visible_mass_updates(user):
    """Mass updates the user may see: administrators all, managers those made by
    users of their business unit and below, everyone else their own."""
    qs = MassUpdate.objects.select_related("created_by", "undone_by")
    if is_administrator(user):
        return qs
    if is_manager(user) and user.business_unit_id:
        return qs.filter(created_by__business_unit_id__in=unit_subtree_ids(user))
    return qs.filter(created_by=user)


def get_mass_update(*, pk, user) -> MassUpdate:
    """One job in the user's sight (MassUpdate.DoesNotExist otherwise)."""
    return visible_mass_updates(user).get(pk=pk)


def list_mass_updates(*, user, limit: int = 20):
    return visible_mass_updates(user)[:limit]


def _percent(done, total) -> int:
    return int(done * 100 / total) if total else 100


def progress_context(job: MassUpdate) -> dict:
    """What the job's page shows: progress, counters, the skipped leads (the first
    REPORT_ROWS) of the update and of its undo, and whether it may be undone."""
    undoing = job.status in (MassUpdateStatus.UNDOING, MassUpdateStatus.UNDONE)
    skipped = list(
        job.rows.filter(outcome=MassUpdateOutcome.SKIPPED).order_by("id")[:REPORT_ROWS]
    )
    undo_skipped = []
    if undoing:
        undo_skipped = list(
            job.rows.filter(undo_outcome=UndoOutcome.SKIPPED).order_by("id")[
                :REPORT_ROWS
            ]
        )
    return {
        "job": job,
        "polling": job.status in WORKING,
        "percent": _percent(job.rows_done, job.total),
        "undo_percent": _percent(job.undo_done, job.undo_total),
        "skipped": skipped,
        "undo_skipped": undo_skipped,
        "report_rows": REPORT_ROWS,
        "can_undo": job.status == MassUpdateStatus.DONE and job.updated_count > 0,
        "changes": describe_changes(job.changes),
    }


def _localized(field, value) -> str:
    """A stored value (JSON: a date as ISO text, a number) as the active locale
    writes it."""
    try:
        return str(localize(field.to_python(value)))
    except ValidationError:
        return str(value)


def describe_changes(changes: dict) -> list[tuple[str, str]]:
    """(field label, the value set as the user reads it) for a job's changes."""
    described = []
    for name, value in changes.items():
        if name in OWNER_KEYS:
            model = Lead._meta.get_field(name).related_model
            record = model._base_manager.filter(pk=value).first()
            described.append((gettext("Owner"), str(record) if record else f"#{value}"))
            continue
        field = Lead._meta.get_field(name)
        label = field.verbose_name[:1].upper() + field.verbose_name[1:]
        if field.many_to_one:
            record = field.related_model._base_manager.filter(pk=value).first()
            shown = str(record) if record else ("—" if value is None else f"#{value}")
        elif field.choices:
            shown = dict(field.flatchoices).get(value, "—" if value is None else value)
        elif isinstance(value, bool):
            shown = gettext("Yes") if value else gettext("No")
        else:
            shown = "—" if value in (None, "") else _localized(field, value)
        described.append((label, str(shown)))
    return described


def owner_changes(job: MassUpdate, *, undone: bool = False) -> tuple[Counter, Counter]:
    """Per user, how many leads the mass update gave them and how many it took
    from them ({user id: count} each); with `undone`, what its undo gave back
    and took back (the restored rows only). Reads the rows' before/after values
    (owner_user_id appears there only when it changed), a few thousand at a time."""
    rows = job.rows.filter(outcome=MassUpdateOutcome.UPDATED)
    if undone:
        rows = rows.filter(undo_outcome=UndoOutcome.RESTORED)
    gained, lost = Counter(), Counter()
    for before, after in rows.values_list("before", "after").iterator(chunk_size=2000):
        if "owner_user_id" not in before and "owner_user_id" not in after:
            continue
        old, new = before.get("owner_user_id"), after.get("owner_user_id")
        if undone:
            old, new = new, old
        if old == new:
            continue
        if new:
            gained[new] += 1
        if old:
            lost[old] += 1
    return gained, lost
