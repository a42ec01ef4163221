"""Days per stage for the source report: how long the leads of each source spent in
Qualify (creation to qualification) and their opportunities in Develop, Propose
and Close (the stage visits; a visit still open counts up to now). Averages in the
database, one query per part, through the same scope and filters as the report."""

from dataclasses import dataclass, field

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F
from django.db.models.functions import Coalesce, Now

from accounts.models import SalesStage, StageVisit
from leads.models import LeadState
from leads.reports.sources import report_dimensions, source_label
from leads.reports.straight import scoped_leads

STAGES = (SalesStage.QUALIFY, SalesStage.DEVELOP, SalesStage.PROPOSE, SalesStage.CLOSE)


@dataclass
class StageDays:
    source: int | None
    # stage -> (average days, number of leads or visits behind it)
    days: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return source_label(self.source)

    def cells(self):
        return [self.days.get(stage) for stage in STAGES]


def _days(duration) -> float | None:
    if duration is None:
        return None
    return round(duration.total_seconds() / 86400, 1)


def days_per_stage(*, user, start=None, end=None, dimensions=None) -> list[StageDays]:
    """Per source (None: no source), the average days in each stage, for the leads
    `user` may see created in the period and matching `dimensions`."""
    leads = scoped_leads(user=user, start=start, end=end, dimensions=dimensions)
    rows: dict = {}
    qualify = (
        leads.filter(state=LeadState.QUALIFIED, qualified_at__isnull=False)
        .values("source")
        .annotate(
            average=Avg(
                ExpressionWrapper(
                    F("qualified_at") - F("created_at"), output_field=DurationField()
                )
            ),
            count=Count("pk"),
        )
        .order_by()
    )
    for row in qualify:
        entry = rows.setdefault(row["source"], StageDays(row["source"]))
        entry.days[SalesStage.QUALIFY] = (_days(row["average"]), row["count"])
    visits = (
        StageVisit.objects.filter(
            opportunity__originating_leads__in=leads.values("pk"),
            stage__gt=SalesStage.QUALIFY,
        )
        .values("opportunity__originating_leads__source", "stage")
        .annotate(
            average=Avg(
                ExpressionWrapper(
                    Coalesce(F("left_at"), Now()) - F("entered_at"),
                    output_field=DurationField(),
                )
            ),
            count=Count("pk"),
        )
        .order_by()
    )
    for row in visits:
        source = row["opportunity__originating_leads__source"]
        entry = rows.setdefault(source, StageDays(source))
        entry.days[row["stage"]] = (_days(row["average"]), row["count"])
    return sorted(rows.values(), key=lambda r: (r.source is None, r.source or 0))


def report_days_per_stage(
    *,
    user,
    created_from=None,
    created_to=None,
    business_unit_ids=None,
    team=None,
    owner=None,
    campaign=None,
    **_other_filters,
) -> list[StageDays]:
    """days_per_stage with the source report's own filters."""
    return days_per_stage(
        user=user,
        start=created_from,
        end=created_to,
        dimensions=report_dimensions(
            business_unit_ids=business_unit_ids,
            team=team,
            owner=owner,
            campaign=campaign,
        ),
    )
