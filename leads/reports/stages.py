"""Days per stage for the source report: how long the leads of each source spent in
Qualify (creation to qualification) and their opportunities in Develop, Propose
and Close (the stage visits; a visit still open counts up to now).

Read from the summary rows (SourceReportStage, kept by leads.reports.summary from
the dirty days like the rest of the report): one grouped query over day rows and
month and year roll-ups, whatever the number of leads. A row holds the left
visits' summed durations and, for the open ones, their number and summed starts,
so that the average up to now is (durations + open × now − starts) / (left +
open), computed in the database at read time. Through the same scope and filters
as the report; straight=True computes it from the leads instead (the reference).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import ExpressionWrapper, FloatField, Q, Sum
from django.db.models.functions import Now, NullIf

from accounts.models import SalesStage
from accounts.permissions import visible_to
from leads.models import SourceReportStage
from leads.reports.freshness import keep_summary_current
from leads.reports.sources import report_dimensions, source_label
from leads.reports.straight import epoch_seconds, straight_stage_rows
from leads.reports.summary import period_q, reads_by_unit

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


def summary_stage_rows(
    *, user, start=None, end=None, dimensions: Q | None = None, by_unit=False
):
    """{(source, stage): (average duration, leads or visits)} from the summary rows
    the viewer may see (the gate applies to them by their owner and unit columns)
    covering start..end and matching `dimensions` (by_unit: the unit roll-ups,
    leads.reports.summary.reads_by_unit): one query. Reads the rows as they stand
    (keep_summary_current first)."""
    count = Sum("finished") + Sum("open")
    elapsed = (
        Sum("finished_seconds") + Sum("open") * epoch_seconds(Now()) - Sum("open_since")
    )
    rows = (
        visible_to(user, SourceReportStage.objects.all())
        .filter(dimensions or Q())
        .filter(period_q(start, end, by_unit=by_unit))
        .order_by()
        .values("source", "stage")
        .annotate(
            count=count,
            average=ExpressionWrapper(
                elapsed / NullIf(count, 0), output_field=FloatField()
            ),
        )
    )
    found = {}
    for row in rows:
        if not row["count"]:
            continue
        # Summary keys store 0 for "no source" (leads.reports.summary).
        source = row["source"] or None
        average = datetime.timedelta(seconds=row["average"])
        found[source, row["stage"]] = (average, row["count"])
    return found


def days_per_stage(
    *,
    user,
    start=None,
    end=None,
    dimensions=None,
    straight: bool = False,
    kept_current: bool = False,
    by_unit: bool = False,
) -> list[StageDays]:
    """Per source (None: no source), the average days in each stage, for the leads
    `user` may see created in the period and matching `dimensions`. Brings the
    summary up to date first when only a few days changed (as the report does),
    unless the caller has just done so (kept_current: the source report page);
    straight=True computes it from the leads and visits (slow on big data);
    by_unit: the summary's unit roll-ups (leads.reports.summary.reads_by_unit)."""
    period = {"user": user, "start": start, "end": end, "dimensions": dimensions}
    if straight:
        found = straight_stage_rows(**period)
    else:
        if not kept_current:
            keep_summary_current()
        found = summary_stage_rows(**period, by_unit=by_unit)
    rows: dict = {}
    for (source, stage), (average, count) in found.items():
        entry = rows.setdefault(source, StageDays(source))
        entry.days[stage] = (_days(average), count)
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
    straight: bool = False,
    kept_current: bool = False,
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
        straight=straight,
        kept_current=kept_current,
        by_unit=reads_by_unit(user, team=team, owner=owner),
    )
