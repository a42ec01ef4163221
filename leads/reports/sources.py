"""The lead-source report: per source (and per campaign within it) outcomes, revenue,
speed, cost and whether the qualification rate differs from a baseline."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext

from leads.models import Campaign, LeadSource, SourceReportHistogram
from leads.reports.facts import FIGURES
from leads.reports.freshness import CURRENT, SummaryFreshness, keep_summary_current
from leads.reports.stats import (
    TOO_FEW,
    compare_rates,
    histogram_median,
    merge_histograms,
    wilson_interval,
)
from leads.reports.straight import straight_queries
from leads.reports.summary import reads_by_unit, summary_queries

SUM_FIELDS = FIGURES
REASONS = [
    ("lost", "Lost"),
    ("cannot_contact", "Cannot Contact"),
    ("no_longer_interested", "No Longer Interested"),
    ("canceled", "Canceled"),
]
ALL = "all"


@dataclass
class ReportRow:
    """One line of the table: a source, a campaign within a source, or the total.

    `source` is the LeadSource code (None: no source); `campaign` the Campaign (None
    on source and total rows); `no_campaign` marks the "no campaign" line of a source.
    """

    kind: str  # "source", "campaign" or "total"
    label: str
    source: int | None = None
    campaign: Campaign | None = None
    no_campaign: bool = False
    sums: dict = field(default_factory=lambda: dict.fromkeys(SUM_FIELDS, 0))
    qualify_days: dict = field(default_factory=dict)
    work_hours: dict = field(default_factory=dict)
    campaigns: list = field(default_factory=list)
    significance: str = ""

    def __getitem__(self, name):
        # Templates try item lookup first: answering it spares an exception per cell.
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    def __getattr__(self, name):
        sums = self.__dict__.get("sums")
        if sums is not None and name in sums:
            return sums[name]
        raise AttributeError(name)

    def add(self, sums, qualify_days, work_hours):
        for name in SUM_FIELDS:
            self.sums[name] += sums[name] or 0
        self.qualify_days = merge_histograms(self.qualify_days, qualify_days)
        self.work_hours = merge_histograms(self.work_hours, work_hours)

    @property
    def disqualified(self) -> int:
        """Disqualified for a reason (Lost, Cannot Contact, No Longer Interested,
        Canceled); merged leads are counted apart."""
        return sum(self.sums[name] for name, _ in REASONS)

    @property
    def closed(self) -> int:
        return self.sums["qualified"] + self.disqualified

    @property
    def qualification_rate(self) -> float | None:
        """Qualified / (qualified + disqualified); None while nothing closed."""
        return self.sums["qualified"] / self.closed if self.closed else None

    @property
    def interval(self):
        return wilson_interval(self.sums["qualified"], self.closed)

    @property
    def won_share(self) -> float | None:
        created = self.sums["created"]
        return self.sums["won_leads"] / created if created else None

    @property
    def win_rate(self) -> float | None:
        decided = self.sums["won_leads"] + self.sums["opportunities_lost"]
        return self.sums["won_leads"] / decided if decided else None

    @property
    def median_days_to_qualify(self) -> float | None:
        return histogram_median(self.qualify_days)

    @property
    def median_hours_to_first_work(self) -> float | None:
        return histogram_median(self.work_hours)

    @property
    def worked_within_24h_share(self) -> float | None:
        worked = self.sums["worked"]
        return self.sums["worked_within_24h"] / worked if worked else None

    @property
    def cost(self) -> Decimal | None:
        return self.campaign.cost if self.campaign is not None else None

    @property
    def cost_per_lead(self) -> Decimal | None:
        return _ratio(self.cost, self.sums["created"])

    @property
    def cost_per_qualified(self) -> Decimal | None:
        return _ratio(self.cost, self.sums["qualified"])

    @property
    def return_on_cost(self) -> Decimal | None:
        """Won revenue / cost."""
        if not self.cost:
            return None
        return Decimal(self.sums["won_revenue"]) / self.cost


def _ratio(amount, count):
    if amount is None or not count:
        return None
    return (Decimal(amount) / count).quantize(Decimal("0.01"))


@dataclass
class SourceReport:
    rows: list[ReportRow]
    total: ReportRow
    baseline: str  # ALL or a source code as text
    baseline_label: str
    months: list[datetime.date]
    trend: dict  # source code (or None) -> {month: created}
    # How current the summary rows read were (leads.reports.freshness).
    freshness: SummaryFreshness = CURRENT

    @property
    def too_few(self) -> int:
        return TOO_FEW


def source_label(source) -> str:
    label = dict(LeadSource.choices).get(source)
    return gettext("No source") if label is None else str(label)


def report_dimensions(*, business_unit_ids=None, team=None, owner=None, campaign=None):
    """The report filters other than the period, as a condition on the leads (and
    on the summary rows, which share the field names)."""
    dimensions = Q()
    if business_unit_ids is not None:
        dimensions &= Q(business_unit_id__in=business_unit_ids)
    if team is not None:
        dimensions &= Q(owner_team=team)
    if owner is not None:
        dimensions &= Q(owner_user=owner)
    if campaign is not None:
        dimensions &= Q(campaign=campaign)
    return dimensions


def source_performance_report(
    *,
    user,
    created_from: datetime.date | None = None,
    created_to: datetime.date | None = None,
    business_unit_ids: list[int] | None = None,
    team=None,
    owner=None,
    campaign=None,
    baseline: str = ALL,
    straight: bool = False,
) -> SourceReport:
    """Leads `user` may see, created from `created_from` to `created_to` (local days,
    both included; None: open), optionally only of these business units, owned by
    this team or this user, or from this campaign: per source and per campaign within
    it, with a total row. Reads the summary rows, brought up to date first when only
    a few days changed (else as they stand: see `freshness`); a constant number of
    queries however many sources and campaigns there are.

    Significance: each source and campaign row's qualification rate is compared with
    the baseline (a source code, or ALL: every other source together) by a pooled
    two-proportion z-test at 95%; rows or baselines with fewer than TOO_FEW closed
    leads are "too_few".

    straight=True computes the same report directly from the leads instead of the
    summary rows (the reference; slow on big data sets).
    """
    dimensions = report_dimensions(
        business_unit_ids=business_unit_ids, team=team, owner=owner, campaign=campaign
    )
    freshness = CURRENT if straight else keep_summary_current()
    period = {"user": user, "start": created_from, "end": created_to}
    if straight:
        read = straight_queries(**period, dimensions=dimensions)
    else:
        by_unit = reads_by_unit(user, team=team, owner=owner)
        read = summary_queries(**period, dimensions=dimensions, by_unit=by_unit)
    groups, trend_rows, histogram_rows = read
    histograms: dict = {}
    for item in histogram_rows:
        key = (item["source"], item["campaign_id"], item["metric"])
        histograms.setdefault(key, {})[item["bucket"]] = item["count"]
    campaign_ids = {g["campaign_id"] for g in groups if g["campaign_id"] is not None}
    campaigns = Campaign.objects.in_bulk(campaign_ids) if campaign_ids else {}

    sources: dict = {}
    no_campaign = gettext("No campaign")
    total = ReportRow(kind="total", label=gettext("All sources"))
    for group in groups:
        source, campaign_id = group["source"], group["campaign_id"]
        qualify = histograms.get(
            (source, campaign_id, SourceReportHistogram.QUALIFY_DAYS), {}
        )
        work = histograms.get(
            (source, campaign_id, SourceReportHistogram.FIRST_WORK_HOURS), {}
        )
        row = sources.get(source)
        if row is None:
            row = sources[source] = ReportRow(
                kind="source", label=source_label(source), source=source
            )
        line = ReportRow(
            kind="campaign",
            label=str(campaigns[campaign_id]) if campaign_id else no_campaign,
            source=source,
            campaign=campaigns.get(campaign_id),
            no_campaign=campaign_id is None,
        )
        line.add(group, qualify, work)
        row.campaigns.append(line)
        row.add(group, qualify, work)
        total.add(group, qualify, work)
    rows = sorted(sources.values(), key=lambda r: (r.source is None, r.source or 0))
    for row in rows:
        row.campaigns.sort(key=lambda c: (c.no_campaign, c.label.lower()))

    baseline_row = sources.get(int(baseline)) if baseline != ALL else None
    for row in rows:
        _mark(row, baseline_row, total, baseline)
        for line in row.campaigns:
            _mark(line, baseline_row, total, baseline)

    months = sorted({item["month"] for item in trend_rows})
    trend: dict = {}
    for item in trend_rows:
        trend.setdefault(item["source"], {})[item["month"]] = item["created"]
    return SourceReport(
        rows=rows,
        total=total,
        baseline=baseline,
        baseline_label=(
            gettext("all other sources")
            if baseline == ALL
            else source_label(int(baseline))
        ),
        months=months,
        trend=trend,
        freshness=freshness,
    )


def _mark(row, baseline_row, total, baseline):
    if baseline == ALL:
        # The row against everything else: total minus the row.
        other_q = total.sums["qualified"] - row.sums["qualified"]
        other_n = total.closed - row.closed
    elif baseline_row is None:
        row.significance = "too_few"
        return
    elif row.kind == "source" and row.source == baseline_row.source:
        row.significance = "baseline"
        return
    else:
        other_q, other_n = baseline_row.sums["qualified"], baseline_row.closed
    row.significance = compare_rates(
        row.sums["qualified"], row.closed, other_q, other_n
    )


@dataclass
class SourceHighlights:
    """The manager home card: this quarter's best sources by won revenue and the
    sources slowest to first work a lead (by median hours)."""

    top_revenue: list[ReportRow]
    slowest: list[ReportRow]
    created_from: datetime.date
    created_to: datetime.date


def source_highlights(*, user, today: datetime.date, size: int = 3) -> SourceHighlights:
    """Read from source_performance_report for the quarter so far (same scope)."""
    start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    report = source_performance_report(user=user, created_from=start, created_to=today)
    earning = [row for row in report.rows if row.won_revenue]
    timed = [row for row in report.rows if row.median_hours_to_first_work is not None]
    return SourceHighlights(
        top_revenue=sorted(earning, key=lambda r: r.won_revenue, reverse=True)[:size],
        slowest=sorted(timed, key=lambda r: r.median_hours_to_first_work, reverse=True)[
            :size
        ],
        created_from=start,
        created_to=today,
    )
