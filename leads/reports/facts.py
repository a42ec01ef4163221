"""Per-lead report facts as one SQL select, shared by the summary refresh and the
straight (reference) computation, so both count exactly the same thing."""

from django.db import connection
from django.db.models import F, Func, IntegerField, Min, OuterRef, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from leads.models import Activity, ActivityState

# Status reason and state codes as the SQL below compares them.
OPEN, QUALIFIED = 0, 1
LOST, CANNOT_CONTACT, NO_LONGER_INTERESTED, CANCELED = 4, 5, 6, 7
OPP_OPEN, OPP_WON, OPP_LOST = 0, 1, 2


class WholeUnitsBetween(Func):
    """Whole `unit_seconds` from `start` to `end`, rounded down; NULL if either is."""

    output_field = IntegerField()
    arity = 2
    unit_seconds = 3600

    def as_sql(self, compiler, connection, **extra):
        start_sql, start_params = compiler.compile(self.source_expressions[0])
        end_sql, end_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "postgresql":
            sql = (
                f"CAST(FLOOR(EXTRACT(EPOCH FROM ({end_sql} - {start_sql})) / "
                f"{self.unit_seconds}) AS integer)"
            )
        else:  # SQLite: julianday() counts days as a float; whole milliseconds first.
            sql = (
                f"CAST(FLOOR(ROUND((julianday({end_sql}) - julianday({start_sql})) "
                f"* 86400000) / {self.unit_seconds * 1000}.0) AS INTEGER)"
            )
        return sql, (*end_params, *start_params)


class WholeHoursBetween(WholeUnitsBetween):
    unit_seconds = 3600


class WholeDaysBetween(WholeUnitsBetween):
    unit_seconds = 86400


def first_completed_activity():
    """When the lead's first activity was completed (NULL: none yet)."""
    return Subquery(
        Activity.objects.filter(lead=OuterRef("pk"), state=ActivityState.COMPLETED)
        .order_by()
        .values("lead")
        .annotate(first=Min("completed_at"))
        .values("first")[:1]
    )


FACT_COLUMNS = [
    "r_day",
    "r_source",
    "r_campaign",
    "r_unit",
    "r_user",
    "r_team",
    "r_state",
    "r_status",
    "r_merged",
    "r_opp_state",
    "r_opp_actual",
    "r_opp_estimated",
    "r_qualify_days",
    "r_work_hours",
]
KEY_COLUMNS = ["r_source", "r_campaign", "r_unit", "r_user", "r_team"]


def lead_facts_sql(leads):
    """(sql, params) of one row per lead of the queryset `leads` with FACT_COLUMNS:
    local creation day, the dimensions, state, status, merged, the originating
    opportunity's state and values, whole days to qualification and whole hours from
    creation to the first completed activity."""
    facts = leads.order_by().values(
        r_day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()),
        r_source=F("source"),
        r_campaign=F("campaign_id"),
        r_unit=F("business_unit_id"),
        r_user=F("owner_user_id"),
        r_team=F("owner_team_id"),
        r_state=F("state"),
        r_status=F("status"),
        r_merged=F("merged"),
        r_opp_state=F("qualifying_opportunity__state"),
        r_opp_actual=F("qualifying_opportunity__actual_value"),
        r_opp_estimated=F("qualifying_opportunity__estimated_value"),
        r_qualify_days=WholeDaysBetween(F("created_at"), F("qualified_at")),
        r_work_hours=WholeHoursBetween(F("created_at"), first_completed_activity()),
    )
    return facts.query.sql_with_params()


def _count(condition):
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


# (summary column, SQL aggregate over the facts) in SourceReportDay's order.
AGGREGATES = [
    ("created", "COUNT(*)"),
    ("open", _count(f"r_state = {OPEN}")),
    ("qualified", _count(f"r_state = {QUALIFIED}")),
    ("lost", _count(f"r_status = {LOST}")),
    ("cannot_contact", _count(f"r_status = {CANNOT_CONTACT}")),
    ("no_longer_interested", _count(f"r_status = {NO_LONGER_INTERESTED}")),
    ("canceled", _count(f"r_status = {CANCELED} AND r_merged = FALSE")),
    ("merged", _count("r_merged = TRUE")),
    ("won_leads", _count(f"r_opp_state = {OPP_WON}")),
    ("opportunities_lost", _count(f"r_opp_state = {OPP_LOST}")),
    ("opportunities_open", _count(f"r_opp_state = {OPP_OPEN}")),
    (
        "won_revenue",
        f"COALESCE(SUM(CASE WHEN r_opp_state = {OPP_WON} THEN r_opp_actual END), 0)",
    ),
    (
        "pipeline",
        f"COALESCE(SUM(CASE WHEN r_opp_state = {OPP_OPEN} THEN r_opp_estimated END), 0)",
    ),
    ("worked", _count("r_work_hours IS NOT NULL")),
    ("worked_within_24h", _count("r_work_hours < 24")),
]
# (metric code, facts column) of the two histograms.
HISTOGRAMS = [(1, "r_qualify_days"), (2, "r_work_hours")]


def histogram_sql(facts_sql, facts_params, *, columns: str, group_by: str):
    """(sql, params) of both histograms over the facts: rows of `columns`, metric,
    bucket and count, grouped by `group_by` and the bucket."""
    selects, params = [], []
    for metric, column in HISTOGRAMS:
        selects.append(
            f"SELECT {columns}, {metric} AS metric, {column} AS bucket, "
            f"COUNT(*) AS count FROM ({facts_sql}) facts "
            f"WHERE {column} IS NOT NULL GROUP BY {group_by}, {column}"
        )
        params += facts_params
    return " UNION ALL ".join(selects), params


def month_of(column: str) -> str:
    """SQL for the first day of the month of a date column."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def year_of(column: str) -> str:
    """SQL for the first day of the year of a date column."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('year', {column}) AS date)"
    return f"date({column}, 'start of year')"
