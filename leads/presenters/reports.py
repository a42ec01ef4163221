"""The lead source report (templates/leads/source_report.html): its table, with
every cell formatted once here so that the template's one loop only prints it, the
drill-down links behind each number, the charts' series and the CSV lines."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import OpportunityState
from leads.models import LeadState, LeadStatus

REASON_STATUS = {
    "lost": LeadStatus.LOST,
    "cannot_contact": LeadStatus.CANNOT_CONTACT,
    "no_longer_interested": LeadStatus.NO_LONGER_INTERESTED,
    "canceled": LeadStatus.CANCELED,
}
SIGNIFICANCE_LABELS = {
    "higher": _("Higher"),
    "lower": _("Lower"),
    "same": _("No clear difference"),
    "too_few": _("Too few to tell"),
    "baseline": _("Baseline"),
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
        "won_leads": lead_url(opportunity=int(OpportunityState.WON)),
        "won_revenue": opportunity_url(state=int(OpportunityState.WON)),
        "pipeline": opportunity_url(state=int(OpportunityState.OPEN)),
    }
    for name, status in REASON_STATUS.items():
        extra = {"merged": "false"} if name == "canceled" else {}
        links[name] = lead_url(status=int(status), **extra)
    return links


def fixed(value, places: int = 0, grouping: bool = False) -> str:
    """`value` with `places` decimals, rounded as Python's format() rounds, written
    the active locale's way (decimal mark; thousands grouped when `grouping`)."""
    return number_format(round(value, places), places, force_grouping=grouping)


def percent(text) -> str:
    """A number already written ("12.5") as a percentage ("12.5%"; the locale
    decides on the space before the sign)."""
    return gettext("%(number)s%%") % {"number": text}


def _count(value):
    return number_format(value, force_grouping=True)


def _money(value):
    return None if value is None else number_format(round(value), force_grouping=True)


def _pct(value):
    return None if value is None else percent(fixed(value * 100, 1))


def _one_place(value):
    return None if value is None else fixed(value, 1)


def _cents(value):
    return None if value is None else fixed(value, 2, grouping=True)


def _rate(row):
    interval = row.interval
    note = (
        f"({fixed(interval[0] * 100, 1)}–{fixed(interval[1] * 100, 1)})"
        if interval
        else None
    )
    return _pct(row.qualification_rate), note


def _won_leads(row):
    share = _pct(row.won_share)
    return _count(row.won_leads), f"({share})" if share else None


def _return(row):
    ratio = row.return_on_cost
    return (None if ratio is None else f"{fixed(ratio, 2)}×"), None


def _counted(name):
    return lambda row: (_count(row.sums[name]), None)


def _shown(attribute, format_value):
    return lambda row: (format_value(getattr(row, attribute)), None)


@dataclass(frozen=True)
class Column:
    """A column of the table: `name` keys its drill-down link (if any) and its cells'
    class c-<name>; `value` gives a row's (text, small note), text None for "—";
    `phone` labels the value on a phone's stacked row (default: the label)."""

    name: str
    label: str
    value: Callable
    phone: str = ""
    numeric: bool = True

    @property
    def css(self) -> str:
        return f"c-{self.name}" + (" num" if self.numeric else "")


COUNTS = [
    ("created", _("Created")),
    ("open", _("Open")),
    ("qualified", _("Qualified")),
    ("lost", _("Lost")),
    ("cannot_contact", _("Cannot contact")),
    ("no_longer_interested", _("No longer interested")),
    ("canceled", _("Canceled")),
    ("merged", _("Merged")),
]
# Every column of the page, each in one group (leads.forms.reports.COLUMN_GROUPS);
# the CSV (CSV_HEADER below) has them all.
COLUMNS = {
    "outcomes": [
        *[Column(name, label, _counted(name)) for name, label in COUNTS],
        Column("rate", _("Qualification rate (95%)"), _rate, phone=_("Rate")),
        Column(
            "versus",
            _("Versus {baseline}"),
            lambda row: (str(SIGNIFICANCE_LABELS.get(row.significance, "")), None),
            numeric=False,
        ),
    ],
    "revenue": [
        Column("won_leads", _("Leads won (share)"), _won_leads, phone=_("Leads won")),
        Column("won_revenue", _("Won revenue"), _shown("won_revenue", _money)),
        Column("pipeline", _("Open pipeline"), _shown("pipeline", _money)),
        Column("win_rate", _("Win rate"), _shown("win_rate", _pct)),
    ],
    "speed": [
        Column(
            "median_days",
            _("Median days to qualify"),
            _shown("median_days_to_qualify", _one_place),
            phone=_("Days to qualify"),
        ),
        Column(
            "median_hours",
            _("Median hours to first activity"),
            _shown("median_hours_to_first_work", _one_place),
            phone=_("Hours to first activity"),
        ),
        Column(
            "worked_24h", _("Worked ≤ 24 h"), _shown("worked_within_24h_share", _pct)
        ),
    ],
    "cost": [
        Column("cost", _("Campaign cost"), _shown("cost", _money), phone=_("Cost")),
        Column("cost_per_lead", _("Cost / lead"), _shown("cost_per_lead", _cents)),
        Column(
            "cost_per_qualified",
            _("Cost / qualified lead"),
            _shown("cost_per_qualified", _cents),
            phone=_("Cost / qualified"),
        ),
        Column("return", _("Return (won revenue ÷ cost)"), _return, phone=_("Return")),
    ],
}
SIGNIFICANCE_BADGES = {
    "higher": "badge-qualified",
    "lower": "badge-disqualified",
}


def _cells(row, columns, phone_labels):
    """The row's cells for the shown columns, formatted once here so that the
    template's one loop only prints them: classes, text ("—", muted, for no value),
    small note, drill-down link, label on a phone, significance badge."""
    cells = []
    for column, phone in zip(columns, phone_labels, strict=True):
        text, note = column.value(row)
        css = column.css + (" nowrap" if note else "")
        if text is None:
            text, css = "—", css + " muted"
        cells.append(
            {
                "name": column.name,
                "css": css,
                "text": text,
                "note": note,
                "url": row.links.get(column.name),
                "phone": phone if text else None,
                "badge": (
                    SIGNIFICANCE_BADGES.get(row.significance, "badge-reason")
                    if column.name == "versus" and text
                    else None
                ),
            }
        )
    return cells


def _source_key(source):
    return "none" if source is None else str(source)


def report_table(report, data, columns):
    """The table's header and its parts: the source rows, each followed by its
    campaign lines (folded under it by the page's script), and the total. Every
    row keeps its drill-down links (`row.links`, followed by the tests)."""
    baseline = report.baseline_label
    header = [
        {"css": column.css, "label": column.label.format(baseline=baseline)}
        for column in columns
    ]
    phone_labels = [
        (column.phone or column.label).format(baseline=baseline) for column in columns
    ]

    def line(row, parent=None):
        row.links = _drill_down(row, data)
        return {
            "kind": row.kind,
            "label": row.label,
            "source": _source_key(row.source),
            "parent": _source_key(parent.source) if parent else None,
            "folds": row.kind == "source" and bool(row.campaigns),
            "cells": _cells(row, columns, phone_labels),
        }

    body = []
    for row in report.rows:
        body.append(line(row))
        body += [line(campaign, parent=row) for campaign in row.campaigns]
    return header, [("tbody", body), ("tfoot", [line(report.total)])]


def chart_data(report):
    """The charts' series (json_script source-report-data, static/js/source_report.js)."""
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


def _number(value, places=1):
    return "" if value is None else f"{value:.{places}f}"


CSV_HEADER = [
    _("Row"),
    _("Source"),
    _("Campaign"),
    _("Created"),
    _("Open"),
    _("Qualified"),
    _("Lost"),
    _("Cannot Contact"),
    _("No Longer Interested"),
    _("Canceled"),
    _("Merged"),
    _("Qualification rate %"),
    _("95% low %"),
    _("95% high %"),
    _("Versus baseline"),
    _("Leads with won revenue"),
    _("Won share %"),
    _("Won revenue"),
    _("Open pipeline"),
    _("Win rate %"),
    _("Median days to qualify"),
    _("Median hours to first completed activity"),
    _("Worked within 24 h %"),
    _("Campaign cost"),
    _("Cost per lead"),
    _("Cost per qualified lead"),
    _("Return (won revenue / cost)"),
]


def _csv_line(row, source_label):
    interval = row.interval
    return [
        row.kind,
        source_label,
        row.label if row.kind == "campaign" else "",
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
        str(SIGNIFICANCE_LABELS.get(row.significance, "")),
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


def csv_rows(report):
    """The report as CSV lines: CSV_HEADER, then every row with the columns of every group."""
    yield [str(label) for label in CSV_HEADER]
    for row in report.rows:
        yield _csv_line(row, row.label)
        for line in row.campaigns:
            yield _csv_line(line, row.label)
    yield _csv_line(report.total, report.total.label)
