"""The lead-source report through the API: the page's numbers for the page's
filters, as JSON.

The filters are the report page's form (SourceReportForm: the same periods, date
bounds, unit, team, owner, campaign and baseline, and the same refusals, here a
400); the numbers come from the same report (source_performance_report, through
the gate: the leads you may see). Rates and shares are fractions (0.6 is 60 %),
money has two decimals as text, medians are in days or hours."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from accounts.permissions import business_unit_subtree_ids
from leads.api.common import INVALID, checked_by_form
from leads.forms.reports import PERIODS, SourceReportForm
from leads.models import LeadSource
from leads.reports import ALL, source_performance_report
from leadsite.core.api import ApiLoginMixin

SIGNIFICANCE = ["higher", "lower", "same", "too_few", "baseline"]
MONEY = {"max_digits": 16, "decimal_places": 2, "allow_null": True}


# Whole counts per line (the report's sums, money aside).
COUNTS = [
    "created",
    "open",
    "qualified",
    "lost",
    "cannot_contact",
    "no_longer_interested",
    "canceled",
    "merged",
    "won_leads",
    "opportunities_lost",
    "opportunities_open",
    "worked",
    "worked_within_24h",
]


def _float(value):
    return None if value is None else float(value)


def _row(row) -> dict:
    """A line of the report (source, campaign within it, or total) as plain data."""
    interval = row.interval
    return {
        "kind": row.kind,
        "label": row.label,
        "source": row.source,
        "campaign": row.campaign.pk if row.campaign is not None else None,
        "no_campaign": row.no_campaign,
        **{name: row.sums[name] for name in COUNTS},
        "disqualified": row.disqualified,
        "closed": row.closed,
        "qualification_rate": row.qualification_rate,
        "interval_low": interval[0] if interval else None,
        "interval_high": interval[1] if interval else None,
        "significance": row.significance or None,
        "won_share": row.won_share,
        "win_rate": row.win_rate,
        "won_revenue": row.sums["won_revenue"],
        "pipeline": row.sums["pipeline"],
        "median_days_to_qualify": _float(row.median_days_to_qualify),
        "median_hours_to_first_work": _float(row.median_hours_to_first_work),
        "worked_within_24h_share": row.worked_within_24h_share,
        "cost": row.cost,
        "cost_per_lead": row.cost_per_lead,
        "cost_per_qualified": row.cost_per_qualified,
        "return_on_cost": _float(row.return_on_cost),
        "campaigns": [_row(line) for line in row.campaigns],
    }


class ReportLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["source", "campaign", "total"])
    label = serializers.CharField()
    source = serializers.IntegerField(
        allow_null=True,
        help_text=_("LeadSource code; null: no source (and the total)."),
    )
    campaign = serializers.IntegerField(
        allow_null=True, help_text=_("The campaign's id on a campaign line.")
    )
    no_campaign = serializers.BooleanField(
        help_text=_("The line of a source's leads without a campaign.")
    )
    created = serializers.IntegerField()
    open = serializers.IntegerField()
    qualified = serializers.IntegerField()
    lost = serializers.IntegerField()
    cannot_contact = serializers.IntegerField()
    no_longer_interested = serializers.IntegerField()
    canceled = serializers.IntegerField()
    merged = serializers.IntegerField(help_text=_("Merged leads, apart from canceled."))
    disqualified = serializers.IntegerField(
        help_text=_("Lost + cannot contact + no longer interested + canceled.")
    )
    closed = serializers.IntegerField(help_text=_("Qualified + disqualified."))
    qualification_rate = serializers.FloatField(
        allow_null=True, help_text=_("Qualified / closed; null while nothing closed.")
    )
    interval_low = serializers.FloatField(
        allow_null=True, help_text=_("95 % Wilson interval of the rate.")
    )
    interval_high = serializers.FloatField(allow_null=True)
    significance = serializers.ChoiceField(
        choices=SIGNIFICANCE,
        allow_null=True,
        help_text=_("The rate against the baseline (null on the total line)."),
    )
    won_leads = serializers.IntegerField(
        help_text=_("Leads whose opportunity was won.")
    )
    won_share = serializers.FloatField(allow_null=True, help_text=_("Won / created."))
    opportunities_lost = serializers.IntegerField()
    opportunities_open = serializers.IntegerField()
    win_rate = serializers.FloatField(
        allow_null=True, help_text=_("Won / (won + lost opportunities).")
    )
    won_revenue = serializers.DecimalField(**MONEY)
    pipeline = serializers.DecimalField(
        **MONEY, help_text=_("Estimated value of the open opportunities.")
    )
    median_days_to_qualify = serializers.FloatField(allow_null=True)
    median_hours_to_first_work = serializers.FloatField(
        allow_null=True, help_text=_("To the first completed activity.")
    )
    worked = serializers.IntegerField(help_text=_("Leads with a completed activity."))
    worked_within_24h = serializers.IntegerField()
    worked_within_24h_share = serializers.FloatField(allow_null=True)
    cost = serializers.DecimalField(**MONEY, help_text=_("The campaign's cost."))
    cost_per_lead = serializers.DecimalField(**MONEY)
    cost_per_qualified = serializers.DecimalField(**MONEY)
    return_on_cost = serializers.FloatField(
        allow_null=True, help_text=_("Won revenue / cost.")
    )


class ReportRowSerializer(ReportLineSerializer):
    campaigns = ReportLineSerializer(
        many=True, help_text=_("A source's lines per campaign (empty elsewhere).")
    )


class TrendSerializer(serializers.Serializer):
    source = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()
    created = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("Leads created in each month.")
    )


class AppliedFiltersSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=[value for value, _ in PERIODS])
    created_from = serializers.DateField(allow_null=True)
    created_to = serializers.DateField(allow_null=True)
    business_unit = serializers.IntegerField(allow_null=True)
    team = serializers.IntegerField(allow_null=True)
    owner = serializers.IntegerField(allow_null=True)
    campaign = serializers.IntegerField(allow_null=True)
    baseline = serializers.CharField(help_text=_('"all" or a LeadSource code.'))


@extend_schema_serializer(many=False)  # one report, though the route is a "list"
class SourceReportSerializer(serializers.Serializer):
    filters = AppliedFiltersSerializer(
        help_text=_("The filters applied (a preset period as its first and last day).")
    )
    baseline_label = serializers.CharField()
    rows = ReportRowSerializer(many=True)
    total = ReportRowSerializer()
    months = serializers.ListField(
        child=serializers.CharField(), help_text=_("YYYY-MM, oldest first.")
    )
    trend = TrendSerializer(many=True)


def _pk(record):
    return record.pk if record is not None else None


def report_data(report, cleaned) -> dict:
    """The report and the filters it applied, as the API sends them."""
    months = report.months
    return {
        "filters": {
            "period": cleaned["period"],
            "created_from": cleaned["created_from"],
            "created_to": cleaned["created_to"],
            "business_unit": _pk(cleaned.get("business_unit")),
            "team": _pk(cleaned.get("team")),
            "owner": _pk(cleaned.get("owner")),
            "campaign": _pk(cleaned.get("campaign")),
            "baseline": cleaned["baseline"],
        },
        "baseline_label": report.baseline_label,
        "rows": [_row(row) for row in report.rows],
        "total": _row(report.total),
        "months": [month.strftime("%Y-%m") for month in months],
        "trend": [
            {
                "source": row.source,
                "label": row.label,
                "created": [report.trend.get(row.source, {}).get(m, 0) for m in months],
            }
            for row in report.rows
        ],
    }


FILTERS = [
    OpenApiParameter(
        "period",
        str,
        enum=[value for value, _ in PERIODS],
        description="A preset period (its days replace any dates sent), or custom "
        "with created_from/created_to; default all.",
    ),
    OpenApiParameter("created_from", str, description="First day (YYYY-MM-DD)."),
    OpenApiParameter("created_to", str, description="Last day (YYYY-MM-DD)."),
    OpenApiParameter(
        "business_unit", int, description="A business unit you see, and below."
    ),
    OpenApiParameter("team", int, description="The owning team."),
    OpenApiParameter("owner", int, description="The owning user."),
    OpenApiParameter("campaign", int, description="The campaign."),
    OpenApiParameter(
        "baseline",
        str,
        enum=[ALL, *(str(code) for code in LeadSource.values)],
        description='Compare each rate with "all" other sources (default) or with '
        "one source.",
    ),
]


class SourceReportViewSet(ApiLoginMixin, viewsets.ViewSet):
    @extend_schema(
        parameters=FILTERS,
        responses={200: SourceReportSerializer, 400: INVALID},
    )
    def list(self, request):
        """Per lead source (and per campaign within it) the leads you may see:
        outcomes, revenue, speed and cost, the total, and leads created per month.
        The numbers of the source report page for the same filters."""
        form = SourceReportForm(request.query_params, user=request.user)
        cleaned = checked_by_form(form)
        report = source_performance_report(
            user=request.user, **form.report_filters(business_unit_subtree_ids)
        )
        return Response(SourceReportSerializer(report_data(report, cleaned)).data)
