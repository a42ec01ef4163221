"""Lead analytics, aggregated in the database and always through the scope gate."""

import datetime
import math
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from leads.models import Lead, LeadSource, LeadState
from leadsite.permissions import visible_to

Z_95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z_95):
    """The Wilson score interval for a proportion, as (low, high); None without trials.

    Unlike the normal approximation it stays inside [0, 1] and widens on small samples,
    so a source with 2 of 3 leads qualified does not look better than one with 600 of
    1,000.
    """
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = (
        z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    )
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class SourceRow:
    """One line of the source report; `source` is the LeadSource code (None: unknown)."""

    source: int | None
    label: str
    created: int = 0
    open: int = 0
    qualified: int = 0
    disqualified: int = 0

    @property
    def closed(self) -> int:
        return self.qualified + self.disqualified

    @property
    def qualification_rate(self) -> float | None:
        """Qualified / closed (qualified + disqualified); None while nothing closed."""
        return self.qualified / self.closed if self.closed else None

    @property
    def interval(self):
        return wilson_interval(self.qualified, self.closed)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def source_performance_report(
    *,
    user,
    created_from: datetime.date | None = None,
    created_to: datetime.date | None = None,
) -> tuple[list[SourceRow], SourceRow]:
    """Per lead source: leads created in the period (both days included, in the
    current time zone), how many are open, qualified and disqualified now, and the
    qualification rate. One grouped query over the leads `user` may see.

    Returns the rows (sources with leads, in code order; no-source last) and a total row.
    """
    leads = visible_to(user, Lead.objects.all())
    if created_from:
        leads = leads.filter(created_at__gte=_day_start(created_from))
    if created_to:
        leads = leads.filter(
            created_at__lt=_day_start(created_to + datetime.timedelta(days=1))
        )
    aggregated = (
        leads.order_by()
        .values("source")
        .annotate(
            created=Count("pk"),
            open=Count("pk", filter=Q(state=LeadState.OPEN)),
            qualified=Count("pk", filter=Q(state=LeadState.QUALIFIED)),
            disqualified=Count("pk", filter=Q(state=LeadState.DISQUALIFIED)),
        )
    )
    labels = dict(LeadSource.choices)
    rows = [
        SourceRow(
            source=item["source"],
            label=labels.get(item["source"], "No source"),
            created=item["created"],
            open=item["open"],
            qualified=item["qualified"],
            disqualified=item["disqualified"],
        )
        for item in aggregated
    ]
    rows.sort(key=lambda row: (row.source is None, row.source or 0))
    total = SourceRow(
        source=None,
        label="All sources",
        created=sum(r.created for r in rows),
        open=sum(r.open for r in rows),
        qualified=sum(r.qualified for r in rows),
        disqualified=sum(r.disqualified for r in rows),
    )
    return rows, total
