"""The report's numbers computed straight from the leads, without the summary rows:
the reference the summary is tested against (and a way to check it in production).

Same three reads as leads.reports.summary.summary_queries, by the ORM over the leads
the viewer may see (leads.reports.facts); medians also by PostgreSQL's
percentile_cont; and the days per stage (leads.reports.stages) from the leads and
their opportunities' stage visits. Also the per-day stage facts the summary stores
(stage_facts, read by leads.reports.stage_summary when it recomputes a day).
"""

import datetime

from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Now, Trunc, TruncDate
from django.utils import timezone

from accounts.models import SalesStage, StageVisit
from accounts.permissions import visible_to
from leads.models import Lead, LeadState
from leads.models.reports import KEY
from leads.reports.facts import SPANS, figures, with_spans


class Median(Aggregate):
    """PostgreSQL percentile_cont(0.5): the median, interpolated between the two
    middle values."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class Seconds(Func):
    """A duration expression in seconds (a float): PostgreSQL's epoch of the
    interval; on SQLite Django's django_timestamp_diff counts microseconds."""

    output_field = FloatField()
    arity = 1

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return f"CAST(EXTRACT(EPOCH FROM {sql}) AS double precision)", params
        return f"(({sql}) / 1000000.0)", params


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
# SourceReportStage's key columns and figures (leads.reports.summary writes them).
STAGE_KEY = [name if name == "source" else f"{name}_id" for name in KEY]
STAGE_FIGURES = ["finished", "finished_seconds", "open", "open_since"]


def seconds_between(start, end) -> Seconds:
    """Seconds from the datetime expression `start` to `end`."""
    return Seconds(ExpressionWrapper(end - start, output_field=DurationField()))


def epoch_seconds(moment) -> Seconds:
    """The datetime expression `moment` in seconds since 1970-01-01 UTC."""
    return seconds_between(Value(EPOCH), moment)


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


def straight_stage_rows(*, user, start=None, end=None, dimensions: Q | None = None):
    """{(source, stage): (average duration, leads or visits)} straight from the
    leads and the stage visits of their opportunities (a visit still open counts
    up to the database's now): the reference for leads.reports.stages."""
    leads = scoped_leads(user=user, start=start, end=end, dimensions=dimensions)
    found = {}
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
        found[row["source"], SalesStage.QUALIFY] = (row["average"], row["count"])
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
        found[source, row["stage"]] = (row["average"], row["count"])
    return found


def stage_fact_rows(leads):
    """The SourceReportStage day rows of the leads `leads` as one unevaluated query
    (two grouped SELECTs, UNION ALL; columns r_day, r_<key>, r_stage and the
    figures): Qualify from their qualified leads (creation to qualification),
    Develop, Propose and Close from the stage visits of their qualifying
    opportunities (left ones summed, open ones counted with their starts). Keys
    0 for "none". leads.reports.stage_summary inserts it as it stands on a
    rebuild."""
    keys = {
        "r_day": TruncDate("created_at", tzinfo=timezone.get_current_timezone()),
        **{f"r_{name}": Coalesce(name, 0) for name in STAGE_KEY},
    }
    qualified = (
        leads.filter(state=LeadState.QUALIFIED, qualified_at__isnull=False)
        .order_by()
        .values(**keys, r_stage=Value(int(SalesStage.QUALIFY)))
        .annotate(
            finished=Count("pk"),
            finished_seconds=Sum(seconds_between(F("created_at"), F("qualified_at"))),
            open=Value(0),
            open_since=Value(0.0),
        )
    )
    visit = "qualifying_opportunity__stage_visits__"
    left = Q(**{f"{visit}left_at__isnull": False})
    visits = (
        leads.filter(**{f"{visit}stage__gt": SalesStage.QUALIFY})
        .order_by()
        .values(**keys, r_stage=F(f"{visit}stage"))
        .annotate(
            finished=Count(f"{visit}pk", filter=left),
            finished_seconds=Coalesce(
                Sum(
                    seconds_between(F(f"{visit}entered_at"), F(f"{visit}left_at")),
                    filter=left,
                ),
                0.0,
            ),
            open=Count(f"{visit}pk", filter=~left),
            open_since=Coalesce(
                Sum(epoch_seconds(F(f"{visit}entered_at")), filter=~left), 0.0
            ),
        )
    )
    return qualified.union(visits, all=True)


def stage_facts(leads) -> list[dict]:
    """The rows of stage_fact_rows as SourceReportStage field values (per local
    creation day, key and stage). One read."""
    return [
        {
            "period": row["r_day"],
            "stage": row["r_stage"],
            **{name: row[f"r_{name}"] for name in STAGE_KEY},
            **{name: row[name] or 0 for name in STAGE_FIGURES},
        }
        for row in stage_fact_rows(leads)
    ]
