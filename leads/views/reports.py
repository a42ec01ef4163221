import csv

from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView

from leads.forms.reports import SourceReportForm
from leads.models import LeadState, LeadStatus
from leads.reports import source_performance_report
from leadsite.permissions import business_unit_subtree_ids

REASON_STATUS = {
    "lost": LeadStatus.LOST,
    "cannot_contact": LeadStatus.CANNOT_CONTACT,
    "no_longer_interested": LeadStatus.NO_LONGER_INTERESTED,
    "canceled": LeadStatus.CANCELED,
}
SIGNIFICANCE_LABELS = {
    "higher": "Higher",
    "lower": "Lower",
    "same": "No clear difference",
    "too_few": "Too few to tell",
    "baseline": "Baseline",
}


def _percent(value):
    return None if value is None else round(value * 100, 1)


def _drill_down(row, data):
    """Lead-list and opportunity-list URLs behind each number of a row: the same
    source (or none), campaign (or none), period, unit subtree, team and owner."""
    leads = {"view": "all"}
    opportunities = {}
    if row.kind != "total":
        if row.source is None:
            leads["no_source"] = "true"
            opportunities["lead_source"] = "none"
        else:
            leads["source"] = row.source
            opportunities["lead_source"] = row.source
    campaign = row.campaign or data.get("campaign")
    if row.no_campaign:
        leads["no_campaign"] = "true"
        opportunities["lead_campaign"] = "none"
    elif campaign is not None:
        leads["campaign"] = campaign.pk
        opportunities["lead_campaign"] = campaign.pk
    if data.get("created_from"):
        leads["created_after"] = opportunities["lead_created_after"] = data[
            "created_from"
        ].isoformat()
    if data.get("created_to"):
        leads["created_before"] = opportunities["lead_created_before"] = data[
            "created_to"
        ].isoformat()
    for name, lead_param, opportunity_param in [
        ("business_unit", "unit", "lead_unit"),
        ("team", "team", "lead_team"),
        ("owner", "owner", "lead_owner"),
    ]:
        if data.get(name) is not None:
            leads[lead_param] = opportunities[opportunity_param] = data[name].pk
    lead_list, opportunity_list = (
        reverse("leads:list"),
        reverse("accounts:opportunity-list"),
    )

    lead_query, opportunity_query = urlencode(leads), urlencode(opportunities)

    def lead_url(**extra):
        return (
            f"{lead_list}?{lead_query}&{urlencode(extra)}"
            if extra
            else (f"{lead_list}?{lead_query}")
        )

    def opportunity_url(**extra):
        separator = "&" if opportunity_query else ""
        return f"{opportunity_list}?{opportunity_query}{separator}{urlencode(extra)}"

    links = {
        "created": lead_url(),
        "open": lead_url(state=int(LeadState.OPEN)),
        "qualified": lead_url(state=int(LeadState.QUALIFIED)),
        "disqualified": lead_url(state=int(LeadState.DISQUALIFIED), merged="false"),
        "merged": lead_url(merged="true"),
        "won_leads": lead_url(opportunity=1),
        "won_revenue": opportunity_url(state=1),
        "pipeline": opportunity_url(state=0),
    }
    for name, status in REASON_STATUS.items():
        extra = {"merged": "false"} if name == "canceled" else {}
        links[name] = lead_url(status=int(status), **extra)
    return links


PHONE_LABELS = {
    "created": "Created",
    "qualified": "Qualified",
    "rate": "Rate",
    "won_revenue": "Won",
}


def _count(value):
    return f"{value:,}"


def _money(value):
    return f"{round(value):,}"


def _pct(value):
    return None if value is None else f"{value * 100:.1f}%"


def _cells(row):
    """The row's cells after the label, formatted once here rather than by template
    filters: (text, link or None, data-count name, small note or None)."""
    links = row.links
    interval = row.interval
    counts = ["created", "open", "qualified", *REASON_STATUS, "merged"]
    cells = [(_count(row.sums[name]), links[name], name, None) for name in counts]
    rate = _pct(row.qualification_rate)
    cells.append(
        (
            rate or "—",
            None,
            "rate",
            f"({interval[0] * 100:.1f}–{interval[1] * 100:.1f})" if interval else None,
        )
    )
    won_share = _pct(row.won_share)
    cells += [
        (
            _count(row.won_leads),
            links["won_leads"],
            "won_leads",
            f"({won_share})" if won_share else None,
        ),
        (_money(row.won_revenue), links["won_revenue"], "won_revenue", None),
        (_money(row.pipeline), links["pipeline"], "pipeline", None),
        (_pct(row.win_rate) or "—", None, "win_rate", None),
    ]
    for value, name in [
        (row.median_days_to_qualify, "median_days"),
        (row.median_hours_to_first_work, "median_hours"),
    ]:
        cells.append(("—" if value is None else f"{value:.1f}", None, name, None))
    cells.append((_pct(row.worked_within_24h_share) or "—", None, "worked_24h", None))
    for value, name in [
        (row.cost, "cost"),
        (row.cost_per_lead, "cost_per_lead"),
        (row.cost_per_qualified, "cost_per_qualified"),
    ]:
        text = (
            "—"
            if value is None
            else (_money(value) if name == "cost" else f"{value:,.2f}")
        )
        cells.append((text, None, name, None))
    ratio = row.return_on_cost
    cells.append(("—" if ratio is None else f"{ratio:.2f}×", None, "return", None))
    return cells


def _cell_html(text, url, name, note, phone):
    classes = "num" + (" nowrap" if note else "") + ("" if phone else " minor")
    label = f' data-label="{escape(phone)}"' if phone else ""
    if url:
        body = f'<a href="{escape(url)}" data-count="{escape(name)}">{escape(text)}</a>'
    elif text == "—":
        body = '<span class="muted">—</span>'
    else:
        body = escape(text)
    if note:
        body += f' <span class="muted small">{escape(note)}</span>'
    return f'<td class="{classes}"{label}>{body}</td>'


SIGNIFICANCE_BADGES = {"higher": " badge-qualified", "lower": " badge-disqualified"}


def _row_html(row, head_cells, tail_cells, parent=None):
    """One table row of the report, every value escaped. Built here, not by an
    {% include %} with two loops of 25 cells: the template engine spent most of the
    page's Python time on it (about 55 rows at a million leads)."""
    source = escape(row.source or "none")
    label = escape(row.label)
    if row.kind == "campaign":
        parent_source = escape((parent.source if parent else None) or "none")
        attrs = f' data-parent="{parent_source}"'
        head = f'<span class="small">↳ {label}</span>'
    elif row.kind == "source":
        attrs = f' data-source="{source}"'
        head = (
            '<button type="button" class="button report-toggle" aria-expanded="true"'
            f' data-source="{source}"><span class="report-toggle-mark"'
            f' aria-hidden="true">▾</span> {label}</button>'
            if row.campaigns
            else label
        )
    else:
        attrs, head = "", label
    significance = SIGNIFICANCE_LABELS.get(row.significance, "")
    badge = (
        f'<span class="badge'
        f'{SIGNIFICANCE_BADGES.get(row.significance, " badge-reason")}">'
        f"{escape(significance)}</span>"
        if significance
        else ""
    )
    head_cells = "".join(_cell_html(*cell) for cell in head_cells)
    tail_cells = "".join(_cell_html(*cell) for cell in tail_cells)
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<tr class="report-{escape(row.kind)}"{attrs}>\n'
        f'  <th scope="row">{head}</th>\n  {head_cells}\n'
        f'  <td class="minor">{badge}</td>\n  {tail_cells}\n</tr>'
    )


def _decorate(row, data, parent=None):
    """Drill-down links (kept on the row: tests follow them) and the row's HTML."""
    row.links = _drill_down(row, data)
    # On a phone the table stacks: these cells stay, labelled; the others hide.
    cells = [(*cell, PHONE_LABELS.get(cell[2])) for cell in _cells(row)]
    row.html = _row_html(row, cells[:10], cells[10:], parent)
    for line in row.campaigns:
        _decorate(line, data, parent=row)
    return row


def _chart_data(report):
    rows = [row for row in report.rows]
    months = report.months
    return {
        "labels": [row.label for row in rows],
        "rates": [_percent(row.qualification_rate) for row in rows],
        "intervals": [
            [_percent(row.interval[0]), _percent(row.interval[1])]
            if row.interval
            else None
            for row in rows
        ],
        "revenue": [float(row.won_revenue) for row in rows],
        "months": [month.strftime("%Y-%m") for month in months],
        "trend": [
            {
                "label": row.label,
                "data": [report.trend.get(row.source, {}).get(m, 0) for m in months],
            }
            for row in rows
        ],
    }


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
        report = source_performance_report(
            user=request.user, **form.report_filters(business_unit_subtree_ids)
        )
        if request.GET.get("format") == "csv":
            return _csv(report)
        for row in report.rows:
            _decorate(row, data)
        _decorate(report.total, data)
        query = request.GET.copy()
        query["format"] = "csv"
        context = self.get_context_data(
            form=form,
            report=report,
            chart_data=_chart_data(report),
            csv_query=query.urlencode(),
        )
        return self.render_to_response(context)


class _Echo:
    def write(self, value):
        return value


def _safe(value):
    """A text cell a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _number(value, places=1):
    return "" if value is None else f"{value:.{places}f}"


CSV_HEADER = [
    "Row",
    "Source",
    "Campaign",
    "Created",
    "Open",
    "Qualified",
    "Lost",
    "Cannot Contact",
    "No Longer Interested",
    "Canceled",
    "Merged",
    "Qualification rate %",
    "95% low %",
    "95% high %",
    "Versus baseline",
    "Leads with won revenue",
    "Won share %",
    "Won revenue",
    "Open pipeline",
    "Win rate %",
    "Median days to qualify",
    "Median hours to first completed activity",
    "Worked within 24 h %",
    "Campaign cost",
    "Cost per lead",
    "Cost per qualified lead",
    "Return (won revenue / cost)",
]


def _csv_line(row, source_label):
    interval = row.interval
    return [
        row.kind,
        _safe(source_label),
        _safe(row.label) if row.kind == "campaign" else "",
        row.created,
        row.open,
        row.qualified,
        row.lost,
        row.cannot_contact,
        row.no_longer_interested,
        row.canceled,
        row.merged,
        _number(_percent(row.qualification_rate)),
        _number(_percent(interval[0])) if interval else "",
        _number(_percent(interval[1])) if interval else "",
        SIGNIFICANCE_LABELS.get(row.significance, ""),
        row.won_leads,
        _number(_percent(row.won_share)),
        _number(row.won_revenue, 2),
        _number(row.pipeline, 2),
        _number(_percent(row.win_rate)),
        _number(row.median_days_to_qualify),
        _number(row.median_hours_to_first_work),
        _number(_percent(row.worked_within_24h_share)),
        _number(row.cost, 2),
        _number(row.cost_per_lead, 2),
        _number(row.cost_per_qualified, 2),
        _number(row.return_on_cost, 2),
    ]


def _csv_rows(report):
    yield CSV_HEADER
    for row in report.rows:
        yield _csv_line(row, row.label)
        for line in row.campaigns:
            yield _csv_line(line, row.label)
    yield _csv_line(report.total, report.total.label)


def _csv(report):
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(line) for line in _csv_rows(report)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="lead-sources.csv"'
    return response
