"""The source report's table by column group: one group at a
time, each column in exactly one group, links that keep the filters, drill-down links
in every group, the CSV with every column, the Period box naming what is applied, the
same queries for every group."""

import csv
import datetime
import io
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.reports.summary import refresh_source_summary

URL = "/reports/sources/"  # `source_report_data` (tests/conftest.py): leads of known figures

D = datetime.timedelta(days=1)
# The headers a manager reads in each group, in order (after "Source / campaign").
GROUPS = {
    "outcomes": [
        "Created",
        "Open",
        "Qualified",
        "Lost",
        "Cannot contact",
        "No longer interested",
        "Canceled",
        "Merged",
        "Qualification rate (95%)",
        "Versus all other sources",
    ],
    "revenue": ["Leads won (share)", "Won revenue", "Open pipeline", "Win rate"],
    "speed": [
        "Median days to qualify",
        "Median hours to first activity",
        "Worked ≤ 24 h",
    ],
    "cost": [
        "Campaign cost",
        "Cost / lead",
        "Cost / qualified lead",
        "Return (won revenue ÷ cost)",
    ],
}
# Every column of the CSV, whatever group the page shows.
CSV_COLUMNS = [
    "Row", "Source", "Campaign", "Created", "Open", "Qualified", "Lost",
    "Cannot Contact", "No Longer Interested", "Canceled", "Merged",
    "Qualification rate %", "95% low %", "95% high %", "Versus baseline",
    "Leads with won revenue", "Won share %", "Won revenue", "Open pipeline",
    "Win rate %", "Median days to qualify", "Median hours to first completed activity",
    "Worked within 24 h %", "Campaign cost", "Cost per lead", "Cost per qualified lead",
    "Return (won revenue / cost)",
]  # fmt: skip


class Table(HTMLParser):
    """The report table as a user reads it: header texts, each row's cell texts, the
    links with the number they show, and the group links above it."""

    def __init__(self):
        super().__init__()
        self.headers, self.rows, self.links, self.groups = [], [], [], []
        self.inputs = {}
        self.selected = {}
        self._in_table = self._in_head = self._in_groups = False
        self._cell = self._link = self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "source-report":
            self._in_table = True
        elif tag == "nav" and attrs.get("id") == "source-report-columns":
            self._in_groups = True
        elif tag == "a" and self._in_groups:
            self.groups.append(
                {"href": attrs["href"], "active": "active" in attrs.get("class", "")}
            )
        elif tag == "input" and attrs.get("type") == "hidden":
            self.inputs[attrs["name"]] = attrs.get("value")
        elif tag == "input" and attrs.get("type") == "date":
            self.inputs[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and "selected" in attrs and self._select:
            self.selected[self._select] = attrs["value"]
        elif not self._in_table:
            return
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = []
        elif tag == "a" and self._cell is not None:
            self._link = {"href": attrs["href"], "name": attrs.get("data-count")}

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif tag == "nav":
            self._in_groups = False
        elif tag == "select":
            self._select = None
        elif tag == "thead":
            self._in_head = False
        elif tag in ("th", "td") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            (self.headers if self._in_head else self.rows[-1]).append(text)
            self._cell = None
        elif tag == "a" and self._link is not None:
            self._link["text"] = "".join(self._cell).strip()
            self.links.append(self._link)
            self._link = None

    def handle_data(self, text):
        if self._cell is not None:
            self._cell.append(text)


def read(response):
    assert response.status_code == 200
    table = Table()
    table.feed(response.content.decode())
    return table


@pytest.mark.parametrize("group", GROUPS)
def test_each_group_shows_its_columns_and_no_other(
    manager_client, source_report_data, group
):
    table = read(manager_client.get(URL, {"period": "90days", "columns": group}))
    assert table.headers == ["Source / campaign", *GROUPS[group]]
    assert table.rows and all(len(row) == len(table.headers) for row in table.rows)
    others = [name for other in GROUPS if other != group for name in GROUPS[other]]
    assert not set(others) & set(table.headers)
    assert [link["active"] for link in table.groups] == [
        name == group for name in GROUPS
    ]


def test_outcomes_is_the_default_and_every_column_is_in_one_group(
    manager_client, source_report_data
):
    table = read(manager_client.get(URL, {"period": "90days"}))
    assert table.headers[1:] == GROUPS["outcomes"]
    assert table.inputs["columns"] == "outcomes"
    names = [name for headers in GROUPS.values() for name in headers]
    assert len(names) == len(set(names)) == 21  # the 21 figures of the old table
    junk = read(manager_client.get(URL, {"period": "90days", "columns": "<x>"}))
    assert junk.headers[1:] == GROUPS["outcomes"]


def test_group_links_and_the_filter_form_keep_the_other_choice(
    manager_client, rep, source_report_data
):
    query = {
        "period": "90days",
        "owner": rep.pk,
        "campaign": source_report_data.spring.pk,
    }
    table = read(manager_client.get(URL, {**query, "columns": "cost"}))
    for link, group in zip(table.groups, GROUPS, strict=True):
        params = parse_qs(urlsplit(link["href"]).query)
        assert params["columns"] == [group]
        assert params["owner"] == [str(rep.pk)]
        assert params["campaign"] == [str(source_report_data.spring.pk)]
        assert params["period"] == ["90days"]
    # Apply on the filters keeps the group: the form sends it as a hidden field.
    assert table.inputs["columns"] == "cost"


def _shown(text):
    return int(text.replace(",", ""))


@pytest.mark.parametrize("group", GROUPS)
def test_every_number_links_to_the_records_behind_it_in_every_group(
    manager_client, source_report_data, group
):
    """Each linked number of the shown group lists as many leads (or, for revenue,
    opportunities of that value) as it shows."""
    response = manager_client.get(URL, {"period": "90days", "columns": group})
    table = read(response)
    per_row = {"outcomes": 8, "revenue": 3, "speed": 0, "cost": 0}[group]
    assert len(table.rows) > 5 and len(table.links) == per_row * len(table.rows)
    for link in table.links:
        page = manager_client.get(link["href"])
        assert page.status_code == 200, link
        if link["name"] == "pipeline":
            value = page.context["totals"].estimated_value
            assert f"{round(value):,}" == link["text"], link
        elif link["name"] == "won_revenue":
            won = sum(item.actual_value or 0 for item in page.context["page"])
            assert f"{round(won):,}" == link["text"], link
        else:
            assert page.context["page"].total == _shown(link["text"]), link


def test_csv_has_every_column_whatever_group_is_shown(
    manager_client, source_report_data
):
    page = read(manager_client.get(URL, {"period": "90days", "columns": "speed"}))
    assert page.headers[1:] == GROUPS["speed"]
    exports = []
    for group in [None, *GROUPS]:
        query = {"period": "90days", "format": "csv"}
        if group:
            query["columns"] = group
        response = manager_client.get(URL, query)
        text = b"".join(response.streaming_content).decode()
        exports.append(text)
        assert next(csv.reader(io.StringIO(text))) == CSV_COLUMNS
    assert len(set(exports)) == 1
    html = manager_client.get(URL, {"period": "90days", "columns": "speed"})
    (href,) = re.findall(
        r'href="\?([^"]*)" id="source-report-csv"', html.content.decode()
    )
    assert "columns" not in parse_qs(href.replace("&amp;", "&"))


@pytest.mark.parametrize(
    "query",
    [
        {"created_from": "2026-01-05", "created_to": "2026-03-31"},
        {"period": "all", "created_from": "2026-01-05", "created_to": "2026-03-31"},
        {"period": "", "created_from": "2026-01-05"},
    ],
)
def test_period_box_says_custom_when_dates_are_set(
    manager_client, source_report_data, query
):
    table = read(manager_client.get(URL, query))
    assert table.selected["period"] == "custom"
    assert table.inputs["created_from"] == "2026-01-05"
    assert table.inputs["created_to"] == query.get("created_to", "")
    form = manager_client.get(URL, query).context["form"]
    assert form.cleaned_data["period"] == "custom"


def test_a_preset_shows_its_own_days_and_all_time_none(
    manager_client, source_report_data
):
    today = timezone.localdate()
    stale = {"created_from": "2020-01-01", "created_to": "2020-02-01"}
    table = read(manager_client.get(URL, {"period": "90days", **stale}))
    assert table.selected["period"] == "90days"
    assert table.inputs["created_from"] == (today - 89 * D).isoformat()
    assert table.inputs["created_to"] == today.isoformat()
    # The figures use the days shown: the drill-down links carry them.
    created = next(link for link in table.links if link["name"] == "created")
    params = parse_qs(urlsplit(created["href"].replace("&amp;", "&")).query)
    assert params["created_after"] == [(today - 89 * D).isoformat()]
    for query in ({}, {"period": "all"}, {"period": "custom"}):
        table = read(manager_client.get(URL, query))
        assert table.selected["period"] == "all", query
        assert table.inputs["created_from"] == table.inputs["created_to"] == ""


def test_an_invalid_range_keeps_what_was_typed(manager_client, source_report_data):
    query = {
        "period": "custom",
        "created_from": "2026-03-02",
        "created_to": "2026-03-01",
    }
    table = read(manager_client.get(URL, query))
    assert table.selected["period"] == "custom"
    assert (table.inputs["created_from"], table.inputs["created_to"]) == (
        "2026-03-02",
        "2026-03-01",
    )


def test_every_group_runs_the_same_queries(
    manager_client, source_report_data, django_assert_max_num_queries
):
    refresh_source_summary()
    manager_client.get(URL, {"period": "90days"})  # session and caches warm
    counts = {}
    for group in GROUPS:
        with (
            django_assert_max_num_queries(40),
            CaptureQueriesContext(connection) as queries,
        ):
            response = manager_client.get(URL, {"period": "90days", "columns": group})
        assert response.status_code == 200
        counts[group] = len(queries)
    assert len(set(counts.values())) == 1, counts
