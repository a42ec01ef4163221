"""The lead-source report: every number of a known data set, scope, significance,
filters, drill-down links, CSV and the query count."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.exports import guard_formula
from leads.models import LeadSource
from leads.reports import source_performance_report, wilson_interval
from leads.reports.straight import percentile_medians
from leads.reports.summary import refresh_source_summary
from tests import factories
from tests.reading import options, page
from tests.support import lead_at, qualified_lead_at

URL = "/reports/sources/"
WEB, PARTNER, SEMINAR, OTHER = (
    LeadSource.WEB,
    LeadSource.PARTNER,
    LeadSource.SEMINAR,
    LeadSource.OTHER,
)
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)


def last_90_days():
    today = timezone.localdate()
    return {"created_from": today - 89 * D, "created_to": today}


def by_source(report):
    return {row.source: row for row in report.rows}


def campaigns(row):
    return {line.label: line for line in row.campaigns}


def bounds(row):
    low, high = row.interval
    return round(low, 3), round(high, 3)


def test_every_number_of_the_web_row(rep, source_report_data):
    web = by_source(source_performance_report(user=rep, **last_90_days()))[WEB]
    assert (web.created, web.open, web.qualified) == (7, 1, 3)
    assert (web.lost, web.cannot_contact, web.no_longer_interested) == (1, 0, 0)
    assert (web.canceled, web.merged, web.disqualified, web.closed) == (1, 1, 2, 5)
    assert web.qualification_rate == pytest.approx(0.6)
    assert bounds(web) == (0.231, 0.882)
    assert (web.won_leads, web.won_share) == (1, pytest.approx(1 / 7))
    assert web.won_revenue == Decimal("4500.00")
    assert web.pipeline == Decimal("5000.00")
    assert web.win_rate == pytest.approx(0.5)
    assert web.median_days_to_qualify == 4  # 1, 4, 6
    assert web.median_hours_to_first_work == 7.5  # 2, 5, 10, 30
    assert (web.worked, web.worked_within_24h) == (4, 3)
    assert web.worked_within_24h_share == pytest.approx(0.75)
    assert web.cost is None and web.cost_per_lead is None
    assert web.significance == "too_few"


def test_campaign_rows_with_and_without_cost(rep, source_report_data):
    report = source_performance_report(user=rep, **last_90_days())
    web = campaigns(by_source(report)[WEB])
    assert list(web) == ["Spring", "No campaign"]
    spring = web["Spring"]
    assert (spring.created, spring.qualified, spring.lost, spring.closed) == (
        4,
        2,
        1,
        3,
    )
    assert bounds(spring) == (0.208, 0.939)
    assert spring.median_days_to_qualify == 5  # 4, 6
    assert spring.median_hours_to_first_work == 5  # 2, 5, 30
    assert spring.cost == Decimal("1000.00")
    assert spring.cost_per_lead == Decimal("250.00")
    assert spring.cost_per_qualified == Decimal("500.00")
    assert spring.return_on_cost == Decimal("4.5")
    none = web["No campaign"]
    assert (none.created, none.qualified, none.canceled, none.merged) == (3, 1, 1, 1)
    assert none.cost is None and none.return_on_cost is None
    summit = campaigns(by_source(report)[PARTNER])["Summit"]
    assert (summit.cannot_contact, summit.no_longer_interested, summit.open) == (
        1,
        1,
        1,
    )
    assert summit.qualification_rate == 0 and bounds(summit) == (0.0, 0.658)
    assert summit.cost is None and summit.cost_per_qualified is None


def test_empty_source_and_total_row(rep, source_report_data):
    report = source_performance_report(user=rep, **last_90_days())
    rows = by_source(report)
    assert [row.label for row in report.rows] == ["Partner", "Web", "No source"]
    no_source = rows[None]
    assert (no_source.created, no_source.open, no_source.closed) == (1, 1, 0)
    assert no_source.qualification_rate is None and no_source.interval is None
    assert no_source.median_days_to_qualify is None
    total = report.total
    assert (total.created, total.open, total.qualified, total.disqualified) == (
        11,
        3,
        3,
        4,
    )
    assert total.merged == 1 and bounds(total) == (0.158, 0.75)
    assert total.won_revenue == Decimal("4500.00")


def test_period_all_time_includes_older_leads(rep, source_report_data):
    report = source_performance_report(user=rep)
    assert by_source(report)[SEMINAR].created == 1
    assert report.total.created == 12
    assert sum(sum(months.values()) for months in report.trend.values()) == 12


def test_scope_rep_versus_manager(
    rep, rep2, manager, administrator, source_report_data
):
    assert source_performance_report(user=rep).total.created == 12
    assert OTHER not in by_source(source_performance_report(user=rep))
    manager_report = source_performance_report(user=manager)
    assert manager_report.total.created == 13
    assert by_source(manager_report)[OTHER].created == 1
    assert source_performance_report(user=rep2).total.created == 1
    assert source_performance_report(user=administrator).total.created == 14


def test_owner_team_campaign_and_unit_filters(manager, rep, org, source_report_data):
    assert source_performance_report(user=manager, owner=rep).total.created == 12
    only_spring = source_performance_report(
        user=manager, campaign=source_report_data.spring
    )
    assert only_spring.total.created == 4
    south = source_performance_report(user=manager, business_unit_ids=[org.south.pk])
    assert south.rows == []
    team = factories.TeamFactory(business_unit=org.north)
    factories.LeadFactory(owner_user=None, owner_team=team, source=WEB)
    assert source_performance_report(user=manager, team=team).total.created == 1


def test_medians_match_percentile_cont(manager, source_report_data):
    if connection.vendor != "postgresql":
        pytest.skip("percentile_cont is PostgreSQL's")
    report = source_performance_report(user=manager)
    medians = percentile_medians(user=manager, group_by=["source", "campaign_id"])
    for row in report.rows:
        for line in row.campaigns:
            key = (row.source, line.campaign.pk if line.campaign else None)
            days, hours = medians[key]
            assert line.median_days_to_qualify == days
            assert line.median_hours_to_first_work == hours
    by_row = percentile_medians(user=manager, group_by=["source"])
    for row in report.rows:
        assert (row.median_days_to_qualify, row.median_hours_to_first_work) == by_row[
            (row.source,)
        ]


def _closed(owner, source, qualified, disqualified):
    for _ in range(qualified):
        factories.LeadFactory(owner_user=owner, source=source, qualified=True)
    for _ in range(disqualified):
        factories.LeadFactory(owner_user=owner, source=source, disqualified=True)


def test_significance_marks_against_all_and_a_chosen_baseline(rep):
    _closed(rep, LeadSource.ADVERTISEMENT, 25, 5)
    _closed(rep, LeadSource.OTHER, 3, 27)
    _closed(rep, LeadSource.EXTERNAL_REFERRAL, 10, 10)
    _closed(rep, LeadSource.SEMINAR, 5, 5)
    rows = by_source(source_performance_report(user=rep))
    assert rows[LeadSource.ADVERTISEMENT].significance == "higher"
    assert rows[LeadSource.OTHER].significance == "lower"
    assert rows[LeadSource.EXTERNAL_REFERRAL].significance == "same"
    assert rows[LeadSource.SEMINAR].significance == "too_few"
    rows = by_source(source_performance_report(user=rep, baseline=str(OTHER)))
    assert rows[OTHER].significance == "baseline"
    assert rows[LeadSource.EXTERNAL_REFERRAL].significance == "higher"
    assert rows[LeadSource.SEMINAR].significance == "too_few"


def test_wilson_interval_shrinks_with_more_trials():
    small, large = wilson_interval(2, 3), wilson_interval(600, 1000)
    assert small[1] - small[0] > large[1] - large[0]
    assert wilson_interval(0, 0) is None


def test_query_count_does_not_grow_with_sources_and_campaigns(
    manager, rep, source_report_data
):
    refresh_source_summary()
    fresh = type(manager).objects.get
    with CaptureQueriesContext(connection) as few:
        source_performance_report(user=fresh(pk=manager.pk))
    for source in LeadSource.values:
        for _n in range(3):
            campaign = factories.CampaignFactory(source=source)
            factories.LeadFactory(owner_user=rep, source=source, campaign=campaign)
            factories.LeadFactory(owner_user=rep, source=source, qualified=True)
    refresh_source_summary()
    with CaptureQueriesContext(connection) as many:
        report = source_performance_report(user=fresh(pk=manager.pk))
    assert len(report.rows) == len(LeadSource.values) + 1 and len(many) == len(few)
    for source in LeadSource.values:
        factories.LeadFactory(
            owner_user=rep, source=source, created_at=timezone.now() - source * 40 * D
        )
    with CaptureQueriesContext(connection) as refresh:
        assert refresh_source_summary() >= 10
    # 20 for the figures and histograms, up to 5 for the Days per stage rows
    # (leads.reports.summary.recompute_stage_days).
    assert len(refresh) <= 25


# --- the page ----------------------------------------------------------------------


def test_page_renders_table_charts_and_method(
    manager_client, source_report_data, django_assert_max_num_queries
):
    # 25 of them refresh the summary; the Days per stage card adds 2.
    with django_assert_max_num_queries(45):
        response = manager_client.get(URL, {"period": "90days"})
    assert response.status_code == 200
    html = response.content.decode()
    for fragment in (
        'id="source-report"',
        'id="source-report-chart"',
        'id="source-report-trend"',
        'id="source-report-revenue"',
        "two-proportion z-test",
        "Spring",
        "Too few to tell",
    ):
        assert fragment in html


def test_filters_keep_the_choice_and_names_stay_text(
    manager_client, manager, source_report_data
):
    """The filter pickers (rendered without a template per option) keep what was
    chosen and show names as text, and row labels are escaped too."""
    owner = factories.UserFactory(
        first_name="<b>Bold", last_name="Owner", business_unit=manager.business_unit
    )
    campaign = factories.CampaignFactory(name="<i>Launch</i>", source=LeadSource.WEB)
    factories.LeadFactory(
        owner_user=owner,
        business_unit=manager.business_unit,
        source=LeadSource.WEB,
        campaign=campaign,
    )
    response = manager_client.get(URL, {"period": "all", "owner": owner.pk})
    html = response.content
    chosen = [
        (value, label) for value, label, selected in options(html, "owner") if selected
    ]
    assert chosen == [(str(owner.pk), "<b>Bold Owner")]
    shown = page(html)
    assert not shown.find_all("b") and not shown.find_all("i")
    labels = [
        row.find("th").text
        for row in shown.find("table", id="source-report").find_all("tr")
    ]
    assert "↳ <i>Launch</i>" in labels


@pytest.mark.parametrize(
    "query",
    [
        {"created_to": "9999-12-31"},
        {"created_from": "1899-12-31"},
        {"created_from": "2026-02-30"},
        {"period": "custom", "created_from": "2026-03-02", "created_to": "2026-03-01"},
        {"period": "decade"},
        {"owner": "999999"},
        {"business_unit": "abc"},
    ],
)
def test_invalid_filter_shows_its_error_and_no_figures(
    manager_client, source_report_data, query
):
    response = manager_client.get(URL, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error"' in html
    assert 'id="source-report"' not in html
    assert "source-report-data" not in html
    assert response.context["form"].errors


def test_rep_cannot_filter_by_another_unit(rep_client, org, source_report_data):
    response = rep_client.get(URL, {"business_unit": org.south.pk})
    assert response.context["form"].errors["business_unit"]


def _lead_list_count(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.context["page"].total


def _opportunity_list_count(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.context["page"].total


LEAD_LINKS = [
    "created",
    "open",
    "qualified",
    "lost",
    "cannot_contact",
    "no_longer_interested",
    "canceled",
    "merged",
    "won_leads",
]


@pytest.mark.parametrize(
    "query",
    [{"period": "90days"}, {"period": "all", "campaign": "spring"}, {"owner": "rep"}],
)
def test_every_drill_down_link_lists_the_same_count(
    manager_client, rep, source_report_data, query
):
    query = dict(query)
    if query.get("campaign") == "spring":
        query["campaign"] = source_report_data.spring.pk
    if query.get("owner") == "rep":
        query["owner"] = rep.pk
    report = manager_client.get(URL, query).context["report"]
    rows = [report.total]
    for row in report.rows:
        rows += [row, *row.campaigns]
    checked = 0
    for row in rows:
        for name in LEAD_LINKS:
            assert _lead_list_count(manager_client, row.links[name]) == getattr(
                row, name
            ), (row.label, name)
            checked += 1
        opportunities = row.won_leads + row.opportunities_open
        assert (
            _opportunity_list_count(manager_client, row.links["won_revenue"])
            + (_opportunity_list_count(manager_client, row.links["pipeline"]))
            == opportunities
        ), row.label
        assert (
            _lead_list_count(manager_client, row.links["disqualified"])
            == row.disqualified
        )
    assert checked >= 9


def test_csv_equals_the_table_and_guards_formulas(manager_client, source_report_data):
    source_report_data.spring.name = "=HYPERLINK(1)"
    source_report_data.spring.save()
    page = manager_client.get(URL, {"period": "90days"})
    report = page.context["report"]
    response = manager_client.get(URL, {"period": "90days", "format": "csv"})
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, body = lines[0], lines[1:]
    expected = []
    for row in report.rows:
        expected += [row, *row.campaigns]
    expected.append(report.total)
    assert len(body) == len(expected)
    column = {name: header.index(name) for name in header}
    for line, row in zip(body, expected, strict=True):
        assert int(line[column["Created"]]) == row.created
        assert int(line[column["Merged"]]) == row.merged
        assert int(line[column["Qualified"]]) == row.qualified
        assert Decimal(line[column["Won revenue"]]) == row.won_revenue
        if row.interval:
            assert float(line[column["95% low %"]]) == round(row.interval[0] * 100, 1)
    assert any(line[2] == "'=HYPERLINK(1)" for line in body)
    assert not any(cell.startswith("=") for line in body for cell in line)


def test_csv_guards_every_text_cell_through_the_export_guard(
    manager_client, source_report_data
):
    """Campaign names as formulas: each arrives as text, guarded by the
    same function as the lead export, in every row that names it."""
    names = ['=HYPERLINK("http://x","y")', "@SUM(A1)"]
    source_report_data.spring.name, source_report_data.summit.name = names
    source_report_data.spring.save()
    source_report_data.summit.save()
    response = manager_client.get(URL, {"period": "90days", "format": "csv"})
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    campaigns = [line[2] for line in lines[1:] if line[0] == "campaign"]
    for name in names:
        assert guard_formula(name) == "'" + name
        assert "'" + name in campaigns
    for line in lines:
        for cell in line:
            assert guard_formula(cell) == cell, cell


def test_csv_of_an_invalid_filter_is_the_error_page(manager_client, source_report_data):
    response = manager_client.get(URL, {"created_to": "9999-12-31", "format": "csv"})
    assert response["Content-Type"].startswith("text/html")
    assert response.context["form"].errors


# --- the manager's home card ---------------------------------------------------------


def test_manager_home_card_shows_top_sources_and_slowest_speed(
    manager_client, rep, django_assert_max_num_queries
):
    now = timezone.now()
    spring = factories.CampaignFactory(source=WEB)
    won = factories.OpportunityFactory(
        owner_user=rep, won=True, actual_value=Decimal("9000.00")
    )
    web = qualified_lead_at(
        rep, now, 0, source=WEB, campaign=spring, qualifying_opportunity=won
    )
    partner = lead_at(rep, now - H, source=PARTNER)
    factories.ActivityFactory(
        lead=web, owner=rep, state="completed", completed_at=web.created_at + 2 * H
    )
    factories.ActivityFactory(
        lead=partner, owner=rep, state="completed", completed_at=now - H + 0.5 * H
    )
    with django_assert_max_num_queries(45):  # 25 of them refresh the summary
        response = manager_client.get("/")
    highlights = response.context["source_highlights"]
    assert [row.label for row in highlights.top_revenue] == ["Web"]
    assert [row.label for row in highlights.slowest] == ["Web", "Partner"]
    html = response.content.decode()
    assert 'id="source-highlights"' in html
    assert "/reports/sources/?period=quarter" in html


def test_rep_home_has_no_source_card(rep_client):
    response = rep_client.get("/")
    assert "source_highlights" not in response.context
    assert 'id="source-highlights"' not in response.content.decode()
