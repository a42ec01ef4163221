"""How current the source report's summary is, kept so without a request ever
recomputing more than a few days.

A report read calls keep_summary_current(): with nothing marked it answers at
once; with a few changed days (leads.reports.summary.INLINE_MARKS and INLINE_DAYS)
it refreshes them itself, so an edit shows at once; with more (a bulk load, an
import, a mass update over many days) it answers from the summary as it stands and
says so (SummaryFreshness: as of when, which days wait) and queues the background
task refresh_source_report, at most one at a time (claim_background_refresh). A
constant number of queries whatever waits. Every reader of the report (the page,
its CSV, the API, the home card) goes through it.

The task is declared here, beside the one decision to queue it (leads.tasks names
it too, with the other background tasks).
"""

import dataclasses
import datetime
from dataclasses import dataclass

from django.db import router, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus, task

from leads.models import SourceReportDirty, SourceReportState
from leads.reports.summary import (
    INLINE_DAYS,
    INLINE_MARKS,
    STATE,
    local_days_of,
    refresh_source_summary,
)

# A queued refresh not finished after this long is taken for lost (its worker
# died, the task failed): the next read queues another. The scheduler's periodic
# run of the same task (settings.LEADSITE_SCHEDULES) catches up sooner.
REQUEUE_AFTER = datetime.timedelta(minutes=30)


@dataclass(frozen=True)
class SummaryFreshness:
    """What a report read found: `current` when its figures include every change;
    otherwise the time they are as of (None before the first refresh), whether a
    background refresh is queued or running, and the local days it has to
    recompute (their number and first and last; None when unknown yet)."""

    current: bool = True
    as_of: datetime.datetime | None = None
    queued: bool = False
    pending_days: int | None = None
    pending_from: datetime.date | None = None
    pending_to: datetime.date | None = None


CURRENT = SummaryFreshness()


def _primary(model):
    # The marks and the bookkeeping are written on the primary: read them there,
    # also from a report view that reads its figures from the replica.
    return model.objects.using(router.db_for_write(model))


def _is_queued(state, now) -> bool:
    return (
        state is not None
        and state.queued_at is not None
        and (state.queued_at > now - REQUEUE_AFTER)
    )


def keep_summary_current() -> SummaryFreshness:
    """Bring the summary up to date when only a few days changed since the last
    refresh (recomputed here, in the caller's request), else report how far
    behind it is. Never waits for another refresh. At most INLINE_MARKS + 1 marks
    are read; a refresh here writes the summary rows of at most INLINE_DAYS days."""
    marks = list(
        _primary(SourceReportDirty).values_list("pk", "day")[: INLINE_MARKS + 1]
    )
    if not marks:
        return CURRENT
    days = local_days_of({day for _, day in marks})
    few = len(marks) <= INLINE_MARKS
    if few and len(days) <= INLINE_DAYS:
        if refresh_source_summary(marks=marks) is not None:
            return CURRENT
    now = timezone.now()
    state = _primary(SourceReportState).filter(pk=STATE).first()
    queued = _is_queued(state, now)
    pending = {}
    if few:
        pending = {
            "pending_days": len(days),
            "pending_from": min(days),
            "pending_to": max(days),
        }
    elif queued and state.pending_days:
        pending = {
            "pending_days": state.pending_days,
            "pending_from": state.pending_from,
            "pending_to": state.pending_to,
        }
    freshness = SummaryFreshness(
        current=False,
        as_of=state.refreshed_at if state is not None else None,
        queued=queued,
        **pending,
    )
    if queued or (few and len(days) <= INLINE_DAYS):
        # Queued already; or a few days held up by another refresh, left to the
        # next read.
        return freshness
    return _queue_refresh(freshness)


@task()
def refresh_source_report() -> dict:
    """Recompute the source report's summary for every day marked since the last
    refresh: queued by a report read that found too many (a bulk load), and
    periodically (settings.LEADSITE_SCHEDULES) as a safety net. Waits for a
    refresh already running, then does what is left."""
    return {"days": refresh_source_summary()}


def _queue_refresh(freshness: SummaryFreshness) -> SummaryFreshness:
    """Queue the background refresh unless another read has (claim_background_
    refresh); the freshness to show. With the database queue the task row is
    written in the claim's transaction (both or neither); a backend that runs
    tasks at once (the tests') has brought the figures up to date on return."""
    with transaction.atomic(using=router.db_for_write(SourceReportState)):
        claimed = claim_background_refresh()
        if claimed is None:
            return dataclasses.replace(freshness, queued=True)
        result = refresh_source_report.enqueue()
    if result.status == TaskResultStatus.SUCCESSFUL:
        return CURRENT
    return claimed


def claim_background_refresh() -> SummaryFreshness | None:
    """Record that a background refresh is queued, unless one is already queued
    (or running): the freshness to show with the days it has to recompute, or
    None when this call claimed nothing (queue nothing then). Call in the
    transaction that queues the task. Reads every mark once (the pending days)."""
    now = timezone.now()
    with transaction.atomic(using=router.db_for_write(SourceReportState)):
        SourceReportState.objects.get_or_create(pk=STATE)
        state = (
            SourceReportState.objects.select_for_update(skip_locked=True)
            .filter(pk=STATE)
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lte=now - REQUEUE_AFTER))
            .first()
        )
        if state is None:
            # Queued already, or a refresh holds the row: it is running now.
            return None
        utc_days = SourceReportDirty.objects.values_list("day", flat=True).distinct()
        days = local_days_of(set(utc_days))
        state.queued_at = now
        state.pending_days = len(days)
        state.pending_from = min(days, default=None)
        state.pending_to = max(days, default=None)
        state.save(
            update_fields=["queued_at", "pending_days", "pending_from", "pending_to"]
        )
    return SummaryFreshness(
        current=False,
        as_of=state.refreshed_at,
        queued=True,
        pending_days=state.pending_days,
        pending_from=state.pending_from,
        pending_to=state.pending_to,
    )
