"""The report's numbers computed straight from the leads, without the summary rows:
the reference the summary is tested against (and a way to check it in production).

Same three reads as leads.reports.summary.summary_queries, from leads.reports.facts
over the leads the viewer may see; medians also by PostgreSQL's percentile_cont.
"""

import datetime

from django.db import connection
from django.db.models import Aggregate, F, FloatField, Q
from django.utils import timezone

from accounts.permissions import visible_to
from leads.models import Lead
from leads.reports.facts import (
    AGGREGATES,
    WholeDaysBetween,
    WholeHoursBetween,
    first_completed_activity,
    histogram_sql,
    lead_facts_sql,
    month_of,
)


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


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def straight_queries(*, user, start=None, end=None, dimensions: Q | None = None):
    """(groups, trend, histograms) shaped like summary_queries, from the leads."""
    leads = scoped_leads(user=user, start=start, end=end, dimensions=dimensions)
    facts_sql, params = lead_facts_sql(leads)
    aggregates = ", ".join(f"{sql} AS {name}" for name, sql in AGGREGATES)
    groups = _fetch(
        f"SELECT r_source AS source, r_campaign AS campaign_id, {aggregates} "
        f"FROM ({facts_sql}) facts GROUP BY r_source, r_campaign",
        params,
    )
    trend = _fetch(
        f"SELECT r_source AS source, {month_of('r_day')} AS month, "
        f"COUNT(*) AS created FROM ({facts_sql}) facts "
        f"GROUP BY r_source, {month_of('r_day')}",
        params,
    )
    for item in trend:
        if isinstance(item["month"], str):
            item["month"] = datetime.date.fromisoformat(item["month"])
    histograms = _fetch(
        *histogram_sql(
            facts_sql,
            params,
            columns="r_source AS source, r_campaign AS campaign_id",
            group_by="r_source, r_campaign",
        )
    )
    return groups, trend, histograms


def percentile_medians(*, user, group_by: list[str], **filters) -> dict:
    """PostgreSQL only: {group values: (median days to qualify, median hours to
    first completed activity)} by percentile_cont over the same whole-unit values."""
    leads = scoped_leads(user=user, **filters).order_by()
    rows = (
        leads.annotate(
            m_days=WholeDaysBetween(F("created_at"), F("qualified_at")),
            m_hours=WholeHoursBetween(F("created_at"), first_completed_activity()),
        )
        .values(*group_by)
        .annotate(days=Median("m_days"), hours=Median("m_hours"))
    )
    return {
        tuple(row[name] for name in group_by): (row["days"], row["hours"])
        for row in rows
    }
