"""The source report's summary rows: refreshed from the dirty days the triggers mark,
and read with the viewer's scope and filters.

Every write that can change a number (a lead created, edited, routed, transitioned,
merged or deleted; an activity logged or completed; an opportunity won, lost,
reopened or re-valued) fires a trigger that appends the lead's UTC creation day to
leads_sourcereportdirty. refresh_source_summary() recomputes those days from the
leads (the facts of leads.reports.facts, summed by the statements of leads.sql),
and the stage-time rows of the Days per stage card from the leads and their
opportunities' stage visits (leads.reports.stage_summary: the roll-ups moved by
the difference too; a rebuild inserts them set-based).
A report read runs it only for a few changed days (leads.reports.freshness);
more (a bulk load) goes to the background task leads.tasks.refresh_source_report,
and the report says how far behind its figures are meanwhile.
"""

import datetime

from django.db import transaction
from django.db.models import Case, F, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.permissions import scope_goes_by_owner, visible_to
from leads import sql
from leads.models import (
    Lead,
    SourceReportDay,
    SourceReportDirty,
    SourceReportHistogram,
    SourceReportStage,
    SourceReportState,
)
from leads.reports.facts import FIGURES, SPANS, lead_facts
from leads.reports.stage_summary import recompute_stage_days

# A refresh that recomputes at least this many days refreshes the planner statistics.
ANALYZE_FROM_DAYS = 28
# From this many marked days on (a bulk load, a seed), a background refresh
# recomputes the whole summary set-based, as rebuild_source_summary does, rather
# than moving each day's Days per stage rows through Python: at ten million leads
# that path held 5.7 GB in the worker.
REBUILD_FROM_DAYS = 30
# Marks consumed per DELETE (SQLite caps the parameters of a statement).
MARKS_PER_DELETE = 1000
DAY, MONTH, YEAR = SourceReportDay.DAY, SourceReportDay.MONTH, SourceReportDay.YEAR
UNIT_DAY, UNIT_MONTH, UNIT_YEAR = (
    SourceReportDay.UNIT_DAY,
    SourceReportDay.UNIT_MONTH,
    SourceReportDay.UNIT_YEAR,
)
EARLIEST, LATEST = datetime.date(1900, 1, 1), datetime.date(2200, 12, 31)
ONE_DAY = datetime.timedelta(days=1)
# A report read refreshes the summary itself only while at most INLINE_MARKS marks
# on at most INLINE_DAYS local days wait (an edit or two: shown at once); more goes
# to the background task (leads.reports.freshness). Measured at 200,000 leads on
# PostgreSQL (README "Source report"): a refresh costs about 0.4 s whatever it
# recomputes (the month and year roll-ups) plus 40-80 ms a day, 250 ms a day on a
# bloated summary in a slow spell; an edit marks one or two local days.
INLINE_MARKS = 1000
INLINE_DAYS = 3
STATE = 1  # the pk of the one SourceReportState row


def _runs(days):
    """Sorted days as contiguous (first, last) runs."""
    runs = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + datetime.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return runs


def _local_midnight(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def local_days_of(utc_days):
    """The local days that overlap the given UTC days."""
    days = set()
    for utc_day in utc_days:
        start = datetime.datetime.combine(utc_day, datetime.time.min, datetime.UTC)
        for moment in (start, start + datetime.timedelta(hours=24, microseconds=-1)):
            days.add(timezone.localtime(moment).date())
    return days


def _record_refresh(started, *, ends_queued: bool) -> None:
    """The figures include every change made before `started`; when `ends_queued`,
    the background refresh a read queued before `started` is done
    (leads.reports.freshness; one queued while this ran still waits). One
    statement."""
    fields = {"refreshed_at": started}
    if ends_queued:
        done = Q(queued_at__lte=started)
        cleared = {
            "queued_at": None,
            "pending_days": 0,
            "pending_from": None,
            "pending_to": None,
        }
        fields.update(
            (
                name,
                Case(
                    When(done, then=Value(value)),
                    default=F(name),
                    output_field=SourceReportState._meta.get_field(name),
                ),
            )
            for name, value in cleared.items()
        )
    if not SourceReportState.objects.filter(pk=STATE).update(**fields):
        SourceReportState.objects.update_or_create(
            pk=STATE, defaults={"refreshed_at": started}
        )


def refresh_source_summary(*, marks=None) -> int | None:
    """Recompute the summary rows of every day the triggers marked; returns how many
    local days were recomputed (0 when nothing changed since the last refresh).
    Records the time it started as the figures' "as of" time and ends the
    background refresh a read queued (leads.reports.freshness).

    marks (a report read): the (pk, UTC day) pairs it found, at most INLINE_MARKS
    on INLINE_DAYS local days; only those are recomputed, and only when no other
    refresh runs (else None, nothing done; the read never waits).

    One transaction; on PostgreSQL an advisory lock keeps two refreshes apart
    (leads.sql.lock_summary). Only the dirty marks this refresh read are consumed:
    a write committing meanwhile leaves its mark for the next refresh (marks read
    before the lock and consumed meanwhile by another refresh only make their days
    recomputed twice, with the same result).
    """
    started = timezone.now()
    inline = marks is not None
    with transaction.atomic():
        if not sql.lock_summary(wait=not inline):
            return None
        if not inline:
            marks = SourceReportDirty.objects.values_list("pk", "day")
        marks = dict(marks)
        days = local_days_of(set(marks.values()))
        if marks:
            pks = sorted(marks)
            for start in range(0, len(pks), MARKS_PER_DELETE):
                chunk = pks[start : start + MARKS_PER_DELETE]
                SourceReportDirty.objects.filter(pk__in=chunk).delete()
            if not inline and len(days) >= REBUILD_FROM_DAYS:
                _recompute_everything()
            else:
                recompute_days(days)
            if len(days) >= ANALYZE_FROM_DAYS:
                # Autovacuum would get there eventually; until it does, the planner
                # takes the refilled tables for tiny and sorts the histogram rows
                # on disk instead of hashing them (README, "Source report").
                sql.analyze_summary()
        _record_refresh(started, ends_queued=not inline)
        return len(days)


def rebuild_source_summary() -> None:
    """Recompute every summary row from the leads (after a change of TIME_ZONE or a
    partial restore; `manage.py rebuild_source_report`). For operators only: no
    request calls it (a bulk load is caught up by refresh_source_summary in the
    background task)."""
    started = timezone.now()
    with transaction.atomic():
        sql.lock_summary()
        SourceReportDirty.objects.all().delete()
        _record_refresh(started, ends_queued=False)
        if _recompute_everything():
            sql.analyze_summary()


def _recompute_everything() -> bool:
    """Every summary row recomputed from the leads, set-based (whole_span); False
    when there are no leads (the summary is emptied)."""
    first = Lead.objects.order_by("created_at").values_list("created_at", flat=True)
    start = first.first()
    if start is None:
        for model in (SourceReportDay, SourceReportHistogram, SourceReportStage):
            model.objects.all().delete()
        return False
    last = Lead.objects.order_by("-created_at").values_list("created_at", flat=True)
    first_day = timezone.localtime(start).date()
    last_day = timezone.localtime(last.first()).date()
    recompute_days({first_day, last_day}, whole_span=True)
    return True


def recompute_days(days, *, whole_span: bool = False) -> None:
    """Replace the day rows of the given local days by rows computed from the leads
    and move the roll-ups (month and year per owner; day, month and year per
    business unit) by the difference (old day rows taken out, new ones added, then
    roll-up rows left at zero removed). A whole-span rebuild
    recomputes the roll-ups outright. A constant number of statements (the
    summing ones in leads.sql).

    Keys hold 0, never NULL, for "no source/campaign/user/team", so that the unique
    constraints match them on both backends.
    """
    runs = _runs(days)
    if whole_span:
        runs = [[runs[0][0], runs[-1][1]]]
    lead_q, period_q = Q(), Q()
    for first, last in runs:
        lead_q |= Q(
            created_at__gte=_local_midnight(first),
            created_at__lt=_local_midnight(last + datetime.timedelta(days=1)),
        )
        period_q |= Q(period__range=(first, last))
    summary = (SourceReportDay, SourceReportHistogram)
    if whole_span:
        for model in summary:
            model.objects.all().delete()
    else:
        sql.move_summary_roll_ups(runs, sign="-")
        for model in summary:
            model.objects.filter(period_q, level=DAY).delete()
    sql.insert_summary_days(lead_facts(Lead.objects.filter(lead_q)), histograms=SPANS)
    recompute_stage_days(period_q, Lead.objects.filter(lead_q), whole_span=whole_span)
    if whole_span:
        sql.move_summary_roll_ups(None, sign="")
        return
    sql.move_summary_roll_ups(runs, sign="")
    # Only the roll-ups of the months and years the days fall in moved: look for
    # rows left at zero there (the whole years' roll-ups took 0.2 s a refresh to
    # scan at 200,000 leads, however few days changed).
    all_days = [day for first, last in runs for day in _each_day(first, last)]
    months = {day.replace(day=1) for day in all_days}
    years = {day.replace(month=1, day=1) for day in all_days}
    touched = (
        Q(level__in=[MONTH, UNIT_MONTH], period__in=months)
        | Q(level__in=[YEAR, UNIT_YEAR], period__in=years)
        | (Q(level=UNIT_DAY) & period_q)
    )
    SourceReportDay.objects.filter(touched, created=0).delete()
    SourceReportHistogram.objects.filter(touched, count=0).delete()


def _each_day(first, last):
    while first <= last:
        yield first
        first += ONE_DAY


def _next_month(day):
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def _levels(by_unit: bool):
    """(day, month, year) levels of the per-owner rows, or of the unit roll-ups."""
    if by_unit:
        return UNIT_DAY, UNIT_MONTH, UNIT_YEAR
    return DAY, MONTH, YEAR


def period_q(start, end, *, by_unit: bool = False) -> Q:
    """Summary rows covering exactly the local days start..end (None: open): whole
    years from year roll-ups, whole months left at the edges from month roll-ups,
    and the days left at the edges from day rows; by_unit: the unit roll-ups'."""
    DAY, MONTH, YEAR = _levels(by_unit)  # noqa: N806 (the module's names, shadowed)
    start, end = start or EARLIEST, end or LATEST
    query = Q(pk__in=[])
    pieces = [(start, end)]
    first_year = start.year if (start.month, start.day) == (1, 1) else start.year + 1
    last_year = end.year if (end.month, end.day) == (12, 31) else end.year - 1
    if first_year <= last_year:
        query |= Q(
            level=YEAR,
            period__range=(
                datetime.date(first_year, 1, 1),
                datetime.date(last_year, 1, 1),
            ),
        )
        pieces = [
            (start, datetime.date(first_year, 1, 1) - ONE_DAY),
            (datetime.date(last_year + 1, 1, 1), end),
        ]
    for low, high in pieces:
        if low > high:
            continue
        first_month = low if low.day == 1 else _next_month(low)
        after_last = (
            _next_month(high)
            if _next_month(high) - ONE_DAY == high
            else high.replace(day=1)
        )
        if first_month < after_last:
            query |= Q(level=MONTH, period__gte=first_month, period__lt=after_last)
            days = [(low, first_month - ONE_DAY), (after_last, high)]
        else:
            days = [(low, high)]
        for day_low, day_high in days:
            if day_low <= day_high:
                query |= Q(level=DAY, period__range=(day_low, day_high))
    # The same rows within one range of the (unit, level, period) indexes: with
    # the exact condition as a filter, PostgreSQL reads them by one index-only scan
    # of the covering index instead of visiting a heap page per row for each OR
    # (the 90-day histograms at ten million leads: 234 -> 54 ms, cold).
    return Q(level__in=[DAY, MONTH, YEAR], period__range=(start, end)) & query


def month_period_q(start, end, *, by_unit: bool = False) -> Q:
    """Day and month rows covering start..end (for the per-month trend)."""
    DAY, MONTH, _ = _levels(by_unit)  # noqa: N806 (the module's names, shadowed)
    start, end = start or EARLIEST, end or LATEST
    first_month = start if start.day == 1 else _next_month(start)
    after_last = (
        _next_month(end) if _next_month(end) - ONE_DAY == end else end.replace(day=1)
    )
    if first_month >= after_last:
        return Q(level=DAY, period__range=(start, end))
    return (
        Q(level=MONTH, period__gte=first_month, period__lt=after_last)
        | Q(level=DAY, period__gte=start, period__lt=first_month)
        | Q(level=DAY, period__gte=after_last, period__lte=end)
    )


def reads_by_unit(user, *, team=None, owner=None) -> bool:
    """Whether a report of `user` narrowed to `team` and `owner` (None: all) reads
    the unit roll-ups: when neither is given and the user's scope does not go by
    owner (an administrator's or a manager's; a rep's gate would find no unit row)."""
    return team is None and owner is None and not scope_goes_by_owner(user)


def summary_querysets(
    *, user, start=None, end=None, dimensions: Q | None = None, by_unit=False
):
    """The three grouped reads of the report, unevaluated: per (source, campaign)
    sums, leads per (source, month), and the histograms per (source, campaign,
    metric, bucket). Rows are limited to the viewer's scope (the gate applies to
    summary rows by their owner and unit columns) and to `dimensions`; by_unit
    (reads_by_unit) reads the unit roll-ups. (`bench` runs their SQL as the
    report's floor.)"""
    dimensions = dimensions or Q()
    days = visible_to(user, SourceReportDay.objects.all()).filter(dimensions)
    sums = {name: Sum(name) for name in FIGURES}
    groups = (
        days.filter(period_q(start, end, by_unit=by_unit))
        .order_by()
        .values("source", "campaign_id")
        .annotate(**sums)
    )
    trend = (
        days.filter(month_period_q(start, end, by_unit=by_unit))
        .order_by()
        .annotate(month=TruncMonth("period"))
        .values("source", "month")
        .annotate(created=Sum("created"))
    )
    histograms = (
        visible_to(user, SourceReportHistogram.objects.all())
        .filter(dimensions)
        .filter(period_q(start, end, by_unit=by_unit))
        .order_by()
        .values("source", "campaign_id", "metric", "bucket")
        .annotate(count=Sum("count"))
    )
    return groups, trend, histograms


def summary_queries(
    *, user, start=None, end=None, dimensions: Q | None = None, by_unit=False
):
    """The rows of summary_querysets. Reads the summary rows as they stand:
    leads.reports.freshness brings them up to date first."""
    groups, trend, histograms = (
        list(rows)
        for rows in summary_querysets(
            user=user, start=start, end=end, dimensions=dimensions, by_unit=by_unit
        )
    )
    for row in (*groups, *trend, *histograms):
        # Summary keys store 0 for "none" (see recompute_days).
        if row["source"] == 0:
            row["source"] = None
        if row.get("campaign_id") == 0:
            row["campaign_id"] = None
    return groups, trend, histograms
