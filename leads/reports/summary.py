"""The source report's summary rows: refreshed from the dirty days the triggers mark,
and read with the viewer's scope and filters.

Every write that can change a number (a lead created, edited, routed, transitioned,
merged or deleted; an activity logged or completed; an opportunity won, lost,
reopened or re-valued) fires a trigger that appends the lead's UTC creation day to
leads_sourcereportdirty. refresh_source_summary() recomputes those days from the
leads (leads.reports.facts) before every read, so the summary always equals the
straight computation at the moment of reading, without any service calling it.
"""

import datetime

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from leads.models import (
    Lead,
    SourceReportDay,
    SourceReportDirty,
    SourceReportHistogram,
)
from leads.reports.facts import (
    AGGREGATES,
    KEY_COLUMNS,
    histogram_sql,
    lead_facts_sql,
    month_of,
)
from leadsite.permissions import visible_to

ADVISORY_LOCK = 742_010  # serialises concurrent refreshes on PostgreSQL
DAY_TABLE = SourceReportDay._meta.db_table
HISTOGRAM_TABLE = SourceReportHistogram._meta.db_table
DIRTY_TABLE = SourceReportDirty._meta.db_table
KEY_FIELDS = [
    "source",
    "campaign_id",
    "business_unit_id",
    "owner_user_id",
    "owner_team_id",
]


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


def _local_days_of(utc_days):
    """The local days that overlap the given UTC days."""
    days = set()
    for utc_day in utc_days:
        start = datetime.datetime.combine(utc_day, datetime.time.min, datetime.UTC)
        for moment in (start, start + datetime.timedelta(hours=24, microseconds=-1)):
            days.add(timezone.localtime(moment).date())
    return days


def _as_date(value):
    return (
        value
        if isinstance(value, datetime.date)
        else datetime.date.fromisoformat(value)
    )


def refresh_source_summary() -> int:
    """Recompute the summary rows of every day the triggers marked; returns how many
    local days were recomputed (0 when nothing changed since the last refresh).

    One transaction; on PostgreSQL an advisory lock keeps two refreshes apart. Only
    the dirty marks this transaction can see are consumed: a write committing
    meanwhile leaves its mark for the next refresh.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {DIRTY_TABLE} LIMIT 1")
        if cursor.fetchone() is None:
            return 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        cursor.execute(f"DELETE FROM {DIRTY_TABLE} RETURNING day")
        utc_days = {_as_date(row[0]) for row in cursor.fetchall()}
        if not utc_days:
            return 0
        days = _local_days_of(utc_days)
        recompute_days(days)
        return len(days)


def rebuild_source_summary() -> None:
    """Recompute every summary row from the leads (after a bulk load or a change of
    TIME_ZONE)."""
    with transaction.atomic():
        SourceReportDirty.objects.all().delete()
        SourceReportDay.objects.all().delete()
        SourceReportHistogram.objects.all().delete()
        first = Lead.objects.order_by("created_at").values_list("created_at", flat=True)
        start = first.first()
        if start is None:
            return
        last = Lead.objects.order_by("-created_at").values_list("created_at", flat=True)
        first_day = timezone.localtime(start).date()
        last_day = timezone.localtime(last.first()).date()
        recompute_days({first_day, last_day}, whole_span=True)


def recompute_days(days, *, whole_span: bool = False) -> None:
    """Replace the summary rows of the given local days (and their months'
    roll-ups) by rows computed from the leads. A constant number of statements."""
    runs = _runs(days)
    if whole_span:
        runs = [[runs[0][0], runs[-1][1]]]
    lead_q, day_q, period_q = Q(), Q(), Q()
    for first, last in runs:
        lead_q |= Q(
            created_at__gte=_local_midnight(first),
            created_at__lt=_local_midnight(last + datetime.timedelta(days=1)),
        )
        day_q |= Q(day__range=(first, last))
        period_q |= Q(period__range=(first, last))
    SourceReportDay.objects.filter(day_q).delete()
    SourceReportHistogram.objects.filter(period_q, monthly=False).delete()
    facts_sql, facts_params = lead_facts_sql(Lead.objects.filter(lead_q))
    keys = ", ".join(KEY_COLUMNS)
    key_fields = ", ".join(KEY_FIELDS)
    with connection.cursor() as cursor:
        columns = ", ".join(name for name, _ in AGGREGATES)
        aggregates = ", ".join(sql for _, sql in AGGREGATES)
        cursor.execute(
            f"INSERT INTO {DAY_TABLE} (day, month, {key_fields}, {columns}) "
            f"SELECT r_day, {month_of('r_day')}, {keys}, {aggregates} "
            f"FROM ({facts_sql}) facts GROUP BY r_day, {keys}",
            facts_params,
        )
        histograms, params = histogram_sql(
            facts_sql,
            facts_params,
            columns=f"r_day, FALSE, {keys}",
            group_by=f"r_day, {keys}",
        )
        cursor.execute(
            f"INSERT INTO {HISTOGRAM_TABLE} "
            f"(period, monthly, {key_fields}, metric, bucket, count) {histograms}",
            params,
        )
        # Month roll-ups: recomputed for every month from the first to the last day.
        first_month = runs[0][0].replace(day=1)
        last_day = runs[-1][1]
        SourceReportHistogram.objects.filter(
            monthly=True, period__gte=first_month, period__lte=last_day
        ).delete()
        cursor.execute(
            f"INSERT INTO {HISTOGRAM_TABLE} "
            f"(period, monthly, {key_fields}, metric, bucket, count) "
            f"SELECT {month_of('period')}, TRUE, {key_fields}, metric, bucket, "
            f"SUM(count) FROM {HISTOGRAM_TABLE} "
            f"WHERE monthly = FALSE AND period >= %s AND period < %s "
            f"GROUP BY {month_of('period')}, {key_fields}, metric, bucket",
            [first_month, _next_month(last_day)],
        )


def _next_month(day):
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def _last_of_month(month_start):
    return _next_month(month_start) - datetime.timedelta(days=1)


def histogram_period_q(start, end) -> Q:
    """Histogram rows covering local days start..end (None: open): whole months
    from the monthly roll-ups, the partial months at either edge from daily rows."""
    first_full = start if start is None or start.day == 1 else _next_month(start)
    if end is None:
        last_full = None
    else:
        last_full = _next_month(end) - datetime.timedelta(days=1)
        if last_full != end:
            last_full = end.replace(day=1) - datetime.timedelta(days=1)
    if first_full is not None and last_full is not None and first_full > last_full:
        return Q(monthly=False, period__gte=start, period__lte=end)
    monthly = Q(monthly=True)
    if first_full is not None:
        monthly &= Q(period__gte=first_full)
    if last_full is not None:
        monthly &= Q(period__lte=last_full)
    query = monthly
    if start is not None and first_full != start:
        query |= Q(monthly=False, period__gte=start, period__lt=first_full)
    if end is not None and last_full != end:
        query |= Q(monthly=False, period__gt=last_full, period__lte=end)
    return query


def summary_queries(*, user, start=None, end=None, dimensions: Q | None = None):
    """The three grouped reads of the report: per (source, campaign) sums, leads
    per (source, month), and the histograms per (source, campaign, metric, bucket).
    Rows are limited to the viewer's scope (the gate applies to summary rows by
    their owner and unit columns) and to `dimensions`."""
    refresh_source_summary()
    dimensions = dimensions or Q()
    days = visible_to(user, SourceReportDay.objects.all()).filter(dimensions)
    if start is not None:
        days = days.filter(day__gte=start)
    if end is not None:
        days = days.filter(day__lte=end)
    sums = {name: Sum(name) for name, _ in AGGREGATES}
    groups = list(days.order_by().values("source", "campaign_id").annotate(**sums))
    trend = list(
        days.order_by().values("source", "month").annotate(created=Sum("created"))
    )
    histograms = list(
        visible_to(user, SourceReportHistogram.objects.all())
        .filter(dimensions)
        .filter(histogram_period_q(start, end))
        .order_by()
        .values("source", "campaign_id", "metric", "bucket")
        .annotate(count=Sum("count"))
    )
    return groups, trend, histograms
