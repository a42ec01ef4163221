from django.http import StreamingHttpResponse
from django.views.generic import TemplateView

from accounts.permissions import business_unit_subtree_ids
from leads.exports import csv_line
from leads.forms.reports import COLUMN_GROUPS, SourceReportForm
from leads.presenters.reports import COLUMNS, chart_data, csv_rows, report_table
from leads.reports import source_performance_report
from leads.reports.stages import STAGES, report_days_per_stage


def _group_links(request, shown):
    """A link per column group that keeps every filter of the page."""
    links = []
    for name, label in COLUMN_GROUPS:
        query = request.GET.copy()
        query.pop("format", None)
        query["columns"] = name
        links.append(
            {"label": label, "url": f"?{query.urlencode()}", "active": name == shown}
        )
    return links


class SourceReportView(TemplateView):
    template_name = "leads/source_report.html"

    def get(self, request, *args, **kwargs):
        form = SourceReportForm(request.GET or None, user=request.user)
        if request.GET and not form.is_valid():
            # An invalid filter shows its error and no figures.
            return self.render_to_response(self.get_context_data(form=form))
        if not request.GET:
            form = SourceReportForm({"period": "all"}, user=request.user)
            form.is_valid()
        data = form.cleaned_data
        filters = form.report_filters(business_unit_subtree_ids)
        report = source_performance_report(user=request.user, **filters)
        if request.GET.get("format") == "csv":
            return _csv(report)
        shown = data["columns"]
        header, table = report_table(report, data, COLUMNS[shown])
        query = request.GET.copy()
        query.pop("columns", None)
        query["format"] = "csv"
        context = self.get_context_data(
            form=form,
            report=report,
            columns=header,
            table=table,
            column_groups=_group_links(request, shown),
            # Cost figures exist on campaign lines only: that group opens them.
            campaigns_open=shown == "cost",
            chart_data=chart_data(report),
            csv_query=query.urlencode(),
            stage_days=report_days_per_stage(user=request.user, **filters),
            stage_names=[stage.label for stage in STAGES],
        )
        return self.render_to_response(context)


def _csv(report):
    """The report as CSV; every text cell through the exports' formula guard."""
    response = StreamingHttpResponse(
        (csv_line(line) for line in csv_rows(report)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="lead-sources.csv"'
    return response
