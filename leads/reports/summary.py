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
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.permissions import visible_to
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
    year_of,
)

ADVISORY_LOCK = 742_010  # serialises concurrent refreshes on PostgreSQL
DAY_TABLE = SourceReportDay._meta.db_table
HISTOGRAM_TABLE = SourceReportHistogram._meta.db_table
DIRTY_TABLE = SourceReportDirty._meta.db_table
# A refresh that recomputes at least this many days refreshes the planner statistics.
ANALYZE_FROM_DAYS = 28
DAY, MONTH, YEAR = SourceReportDay.DAY, SourceReportDay.MONTH, SourceReportDay.YEAR
EARLIEST, LATEST = datetime.date(1900, 1, 1), datetime.date(2200, 12, 31)
ONE_DAY = datetime.timedelta(days=1)
KEYS = "source, campaign_id, business_unit_id, owner_user_id, owner_team_id"
COLUMNS = ", ".join(name for name, _ in AGGREGATES)


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
            # A day's recomputation is small; compiling it (JIT) costs more than it.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(f"DELETE FROM {DIRTY_TABLE} RETURNING day")
        utc_days = {_as_date(row[0]) for row in cursor.fetchall()}
        if not utc_days:
            return 0
        days = _local_days_of(utc_days)
        recompute_days(days)
        if len(days) >= ANALYZE_FROM_DAYS:
            _analyze(cursor)
        return len(days)


def _analyze(cursor) -> None:
    """Fresh planner statistics after a large recompute (a bulk load, a rebuild).
    Autovacuum would get there eventually; until it does, the planner takes the
    refilled tables for tiny and sorts half a million histogram rows on disk
    instead of hashing them (all-time report at 1M leads: 345 ms -> 200 ms)."""
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {DAY_TABLE}, {HISTOGRAM_TABLE}")


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
        with connection.cursor() as cursor:
            _analyze(cursor)


def recompute_days(days, *, whole_span: bool = False) -> None:
    """Replace the day rows of the given local days by rows computed from the leads
    and move the month and year roll-ups by the difference (old day rows taken out,
    new ones added: an upsert on each roll-up row's unique key, then rows left at
    zero removed). A whole-span rebuild recomputes the roll-ups outright. A
    constant number of statements.

    Keys hold 0, never NULL, for "no source/campaign/user/team", so that the unique
    constraints match them on both backends.
    """
    runs = _runs(days)
    if whole_span:
        runs = [[runs[0][0], runs[-1][1]]]
    lead_q, period_q = Q(), Q()
    day_sql, day_params = [], []
    for first, last in runs:
        lead_q |= Q(
            created_at__gte=_local_midnight(first),
            created_at__lt=_local_midnight(last + datetime.timedelta(days=1)),
        )
        period_q |= Q(period__range=(first, last))
        day_sql.append("period BETWEEN %s AND %s")
        day_params += [first, last]
    days_where = f"level = {DAY} AND ({' OR '.join(day_sql)})"
    first, last = runs[0][0], runs[-1][1]
    with connection.cursor() as cursor:
        if whole_span:
            for table in (DAY_TABLE, HISTOGRAM_TABLE):
                cursor.execute(f"DELETE FROM {table}")
        else:
            _move_roll_ups(cursor, days_where, day_params, sign="-")
            for model in (SourceReportDay, SourceReportHistogram):
                model.objects.filter(period_q, level=DAY).delete()
        facts_sql, facts_params = lead_facts_sql(Lead.objects.filter(lead_q))
        keys = ", ".join(f"COALESCE({column}, 0)" for column in KEY_COLUMNS)
        aggregates = ", ".join(sql for _, sql in AGGREGATES)
        cursor.execute(
            f"INSERT INTO {DAY_TABLE} (period, level, {KEYS}, {COLUMNS}) "
            f"SELECT r_day, {DAY}, {keys}, {aggregates} "
            f"FROM ({facts_sql}) facts GROUP BY r_day, {keys}",
            facts_params,
        )
        histograms, params = histogram_sql(
            facts_sql,
            facts_params,
            columns=f"r_day, {DAY}, {keys}",
            group_by=f"r_day, {keys}",
        )
        cursor.execute(
            f"INSERT INTO {HISTOGRAM_TABLE} "
            f"(period, level, {KEYS}, metric, bucket, count) {histograms}",
            params,
        )
        if whole_span:
            _move_roll_ups(cursor, f"level = {DAY}", [], sign="")
            return
        _move_roll_ups(cursor, days_where, day_params, sign="")
        start = first.replace(month=1, day=1)
        end = last.replace(year=last.year + 1, month=1, day=1)
        for table, empty in [
            (DAY_TABLE, "created = 0"),
            (HISTOGRAM_TABLE, "count = 0"),
        ]:
            cursor.execute(
                f"DELETE FROM {table} WHERE level IN ({MONTH}, {YEAR}) "
                f"AND period >= %s AND period < %s AND {empty}",
                [start, end],
            )


def _move_roll_ups(cursor, where, params, *, sign):
    """Add (sign "") or take out (sign "-") the day rows matching `where` to or
    from their month and year roll-up rows. Years are taken from the months when
    the roll-ups are built from scratch (where covers every day)."""
    for table, grouped, targets in [
        (DAY_TABLE, KEYS, COLUMNS.split(", ")),
        (HISTOGRAM_TABLE, f"{KEYS}, metric, bucket", ["count"]),
    ]:
        conflict = f"level, period, {grouped}"
        values = ", ".join(f"{sign}SUM({name})" for name in targets)
        update = ", ".join(
            f"{name} = {table}.{name} + excluded.{name}" for name in targets
        )
        for level in (MONTH, YEAR):
            rolled = _start_of(level, "period")
            cursor.execute(
                f"INSERT INTO {table} (period, level, {grouped}, {', '.join(targets)}) "
                f"SELECT {rolled}, {level}, {grouped}, {values} FROM {table} "
                f"WHERE {where} GROUP BY {rolled}, {grouped} "
                f"ON CONFLICT ({conflict}) DO UPDATE SET {update}",
                params,
            )


def _start_of(level, column):
    if level == MONTH:
        return month_of(column)
    return year_of(column)


def _next_month(day):
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def period_q(start, end) -> Q:
    """Summary rows covering exactly the local days start..end (None: open): whole
    years from year roll-ups, whole months left at the edges from month roll-ups,
    and the days left at the edges from day rows."""
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
    return query


def month_period_q(start, end) -> Q:
    """Day and month rows covering start..end (for the per-month trend)."""
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


def summary_queries(*, user, start=None, end=None, dimensions: Q | None = None):
    """The three grouped reads of the report: per (source, campaign) sums, leads
    per (source, month), and the histograms per (source, campaign, metric, bucket).
    Rows are limited to the viewer's scope (the gate applies to summary rows by
    their owner and unit columns) and to `dimensions`."""
    refresh_source_summary()
    dimensions = dimensions or Q()
    days = visible_to(user, SourceReportDay.objects.all()).filter(dimensions)
    sums = {name: Sum(name) for name, _ in AGGREGATES}
    groups = list(
        days.filter(period_q(start, end))
        .order_by()
        .values("source", "campaign_id")
        .annotate(**sums)
    )
    trend = list(
        days.filter(month_period_q(start, end))
        .order_by()
        .annotate(month=TruncMonth("period"))
        .values("source", "month")
        .annotate(created=Sum("created"))
    )
    histograms = list(
        visible_to(user, SourceReportHistogram.objects.all())
        .filter(dimensions)
        .filter(period_q(start, end))
        .order_by()
        .values("source", "campaign_id", "metric", "bucket")
        .annotate(count=Sum("count"))
    )
    for row in (*groups, *trend, *histograms):
        # Summary keys store 0 for "none" (see recompute_days).
        if row["source"] == 0:
            row["source"] = None
        if row.get("campaign_id") == 0:
            row["campaign_id"] = None
    return groups, trend, histograms
