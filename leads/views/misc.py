import csv

from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.generic import TemplateView

from leads.forms.reports import SourceReportForm
from leads.models import LeadState
from leads.reports import source_performance_report


def _percent(value):
    return None if value is None else round(value * 100, 1)


class SourceReportView(TemplateView):
    template_name = "leads/source_report.html"

    def get(self, request, *args, **kwargs):
        form = SourceReportForm(request.GET or None)
        period = {}
        if form.is_valid():
            period = {key: value for key, value in form.cleaned_data.items() if value}
        rows, total = source_performance_report(user=request.user, **period)
        if request.GET.get("format") == "csv":
            return self._csv(rows, total)
        context = self.get_context_data(
            form=form,
            rows=[self._with_links(row, period) for row in rows],
            total=self._with_links(total, period),
            chart_data={
                "labels": [row.label for row in rows],
                "rates": [_percent(row.qualification_rate) for row in rows],
                "intervals": [
                    [_percent(row.interval[0]), _percent(row.interval[1])]
                    if row.interval
                    else None
                    for row in rows
                ],
            },
            csv_query=urlencode(
                {**{k: v.isoformat() for k, v in period.items()}, "format": "csv"}
            ),
        )
        return self.render_to_response(context)

    @staticmethod
    def _with_links(row, period):
        """Lead-list URLs behind each count: same source, state and period."""
        base = {"view": "all"}
        if row.source is not None:
            base["source"] = row.source
        if period.get("created_from"):
            base["created_after"] = period["created_from"].isoformat()
        if period.get("created_to"):
            base["created_before"] = period["created_to"].isoformat()
        list_url = reverse("leads:list")

        def url(**extra):
            return f"{list_url}?{urlencode({**base, **extra})}"

        # Leads without a source cannot be picked in the list filter: no links.
        linkable = row.source is not None or row.label == "All sources"
        row.links = (
            {
                "created": url(),
                "open": url(state=int(LeadState.OPEN)),
                "qualified": url(state=int(LeadState.QUALIFIED)),
                "disqualified": url(state=int(LeadState.DISQUALIFIED)),
            }
            if linkable
            else {}
        )
        row.rate_percent = _percent(row.qualification_rate)
        interval = row.interval
        row.interval_percent = (
            (_percent(interval[0]), _percent(interval[1])) if interval else None
        )
        return row

    @staticmethod
    def _csv(rows, total):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="lead-sources.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "Source",
                "Source code",
                "Created",
                "Open",
                "Qualified",
                "Disqualified",
                "Qualification rate %",
                "95% low %",
                "95% high %",
            ]
        )
        for row in [*rows, total]:
            interval = row.interval
            writer.writerow(
                [
                    row.label,
                    "" if row.source is None else row.source,
                    row.created,
                    row.open,
                    row.qualified,
                    row.disqualified,
                    _fmt(_percent(row.qualification_rate)),
                    _fmt(_percent(interval[0])) if interval else "",
                    _fmt(_percent(interval[1])) if interval else "",
                ]
            )
        return response


def _fmt(value):
    return "" if value is None else f"{value:.1f}"
