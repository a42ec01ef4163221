"""The report's numbers computed straight from the leads, without the summary rows:
the reference the summary is tested against (and a way to check it in production).

Same three reads as leads.reports.summary.summary_queries, by the ORM over the leads
the viewer may see (leads.reports.facts); medians also by PostgreSQL's
percentile_cont.
"""

import datetime

from django.db.models import Aggregate, Count, DateField, F, FloatField, Q
from django.db.models.functions import Trunc
from django.utils import timezone

from accounts.permissions import visible_to
from leads.models import Lead
from leads.reports.facts import SPANS, figures, with_spans


class Median(Aggregate):
    """PostgreSQL percentile_cont(0.5): the median, interpolated between the two
    middle values."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _midnight(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def scoped_leads(*, user, start=None, end=None, dimensions: Q | None = None):
    """The leads behind the report: in scope, created in the period, matching the
    dimensions (written against the summary's field names, which Lead shares)."""
    leads = visible_to(user, Lead.objects.all()).filter(dimensions or Q())
    if start is not None:
        leads = leads.filter(created_at__gte=_midnight(start))
    if end is not None:
        leads = leads.filter(created_at__lt=_midnight(end + datetime.timedelta(days=1)))
    return leads


def straight_queries(*, user, start=None, end=None, dimensions: Q | None = None):
    """(groups, trend, histograms) shaped like summary_queries, from the leads by
    the ORM (figures and spans of leads.reports.facts)."""
    leads = scoped_leads(user=user, start=start, end=end, dimensions=dimensions)
    leads = leads.order_by()
    spanned = with_spans(leads)
    groups = list(spanned.values("source", "campaign_id").annotate(**figures()))
    month = Trunc(
        "created_at",
        "month",
        output_field=DateField(),
        tzinfo=timezone.get_current_timezone(),
    )
    trend = list(leads.values("source", month=month).annotate(created=Count("pk")))
    histograms = []
    for metric, span in SPANS:
        rows = (
            spanned.filter(**{f"{span}__isnull": False})
            .values("source", "campaign_id", bucket=F(span))
            .annotate(count=Count("pk"))
        )
        histograms += [{**row, "metric": metric} for row in rows]
    return groups, trend, histograms


def percentile_medians(*, user, group_by: list[str], **filters) -> dict:
    """PostgreSQL only: {group values: (median days to qualify, median hours to
    first completed activity)} by percentile_cont over the same whole-unit values."""
    leads = scoped_leads(user=user, **filters).order_by()
    rows = (
        with_spans(leads)
        .values(*group_by)
        .annotate(days=Median("r_qualify_days"), hours=Median("r_work_hours"))
    )
    return {
        tuple(row[name] for name in group_by): (row["days"], row["hours"])
        for row in rows
    }
