"""What the source report counts, per lead: the facts of each lead (lead_facts, which
leads.sql sums into the summary rows) and the same figures as ORM aggregates over
the leads (figures, for the straight computation that the summary is tested
against). Codes come from the enums."""

from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import MONEY, OpportunityState
from leads.models import (
    Activity,
    ActivityState,
    LeadState,
    LeadStatus,
    SourceReportHistogram,
)


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


def with_spans(leads):
    """`leads` annotated with r_qualify_days (whole days from creation to
    qualification) and r_work_hours (whole hours from creation to the first
    completed activity); NULL while there is none."""
    return leads.annotate(
        r_qualify_days=WholeDaysBetween(F("created_at"), F("qualified_at")),
        r_work_hours=WholeHoursBetween(F("created_at"), first_completed_activity()),
    )


def lead_facts(leads):
    """One row per lead of the queryset `leads`: local creation day (r_day), the
    dimensions (r_source, r_campaign, r_unit, r_user, r_team), state, status,
    merged, the originating opportunity's state and values, and the spans of
    with_spans. leads.sql sums these rows into the summary."""
    return (
        with_spans(leads)
        .order_by()
        .values(
            "r_qualify_days",
            "r_work_hours",
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
        )
    )


def _count(**condition):
    return Count("pk", filter=Q(**condition))


def _total(column, **condition):
    return Coalesce(
        Sum(column, filter=Q(**condition)),
        Value(Decimal(0)),
        output_field=DecimalField(**MONEY),
    )


def figures() -> dict:
    """The report's figures as aggregates over leads annotated by with_spans, named
    and ordered as SourceReportDay's summed columns."""
    opportunity = "qualifying_opportunity__state"
    return {
        "created": Count("pk"),
        "open": _count(state=LeadState.OPEN),
        "qualified": _count(state=LeadState.QUALIFIED),
        "lost": _count(status=LeadStatus.LOST),
        "cannot_contact": _count(status=LeadStatus.CANNOT_CONTACT),
        "no_longer_interested": _count(status=LeadStatus.NO_LONGER_INTERESTED),
        # A merged lead is counted as merged, not as canceled.
        "canceled": _count(status=LeadStatus.CANCELED, merged=False),
        "merged": _count(merged=True),
        "won_leads": _count(**{opportunity: OpportunityState.WON}),
        "opportunities_lost": _count(**{opportunity: OpportunityState.LOST}),
        "opportunities_open": _count(**{opportunity: OpportunityState.OPEN}),
        "won_revenue": _total(
            "qualifying_opportunity__actual_value",
            **{opportunity: OpportunityState.WON},
        ),
        "pipeline": _total(
            "qualifying_opportunity__estimated_value",
            **{opportunity: OpportunityState.OPEN},
        ),
        "worked": _count(r_work_hours__isnull=False),
        "worked_within_24h": _count(r_work_hours__lt=24),
    }


FIGURES = list(figures())  # their names
# (histogram metric, span annotation of with_spans)
SPANS = [
    (SourceReportHistogram.QUALIFY_DAYS, "r_qualify_days"),
    (SourceReportHistogram.FIRST_WORK_HOURS, "r_work_hours"),
]
