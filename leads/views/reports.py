from django.http import StreamingHttpResponse
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
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
            # The report above has just brought the summary up to date.
            stage_days=report_days_per_stage(
                user=request.user, kept_current=True, **filters
            ),
            stage_names=[stage.label for stage in STAGES],
        )
        return self.render_to_response(context)


def _csv(report):
    """The report as CSV; every text cell through the exports' formula guard. When
    the summary is behind (being recomputed), a last line says as of when."""
    lines = csv_rows(report)
    if not report.freshness.current:
        lines = [*lines, ["note", _freshness_note(report.freshness)]]
    response = StreamingHttpResponse(
        (csv_line(line) for line in lines),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="lead-sources.csv"'
    return response


def _freshness_note(freshness):
    """The CSV's last line when the summary is behind: what the page says."""
    if freshness.as_of:
        time = formats.date_format(
            timezone.localtime(freshness.as_of), "SHORT_DATETIME_FORMAT"
        )
        note = gettext("Figures as of %(time)s.") % {"time": time}
    else:
        note = gettext("Figures as of the last complete computation.")
    if not freshness.pending_days:
        pending = gettext(
            "Recent changes are being recomputed in the background; they will "
            "show when that is done."
        )
        return f"{note} {pending}"
    pending = ngettext(
        "%(days)s day of lead creation (%(first)s to %(last)s) is being recomputed "
        "in the background; its changes will show when that is done.",
        "%(days)s days of lead creation (%(first)s to %(last)s) are being "
        "recomputed in the background; their changes will show when that is done.",
        freshness.pending_days,
    ) % {
        "days": freshness.pending_days,
        "first": formats.date_format(freshness.pending_from, "SHORT_DATE_FORMAT"),
        "last": formats.date_format(freshness.pending_to, "SHORT_DATE_FORMAT"),
    }
    return f"{note} {pending}"
