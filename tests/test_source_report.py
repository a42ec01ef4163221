"""The lead source report: numbers checked against factories, scope, links, CSV."""

import csv
import datetime
import io
import math
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from leads.models import LeadSource, LeadState, LeadStatus
from leads.reports import source_performance_report, wilson_interval
from tests import factories

URL = "/reports/sources/"


def days_ago(n):
    return timezone.now() - datetime.timedelta(days=n)


@pytest.fixture
def data(rep, rep2):
    """Rep's leads: Web 2 open, 3 qualified, 1 disqualified; Partner 1 open, 1 lost.
    Rep2 (South) has Web leads that rep must not count."""
    web, partner = LeadSource.WEB, LeadSource.PARTNER
    for _ in range(2):
        factories.LeadFactory(owner_user=rep, source=web)
    for _ in range(3):
        factories.LeadFactory(owner_user=rep, source=web, qualified=True)
    factories.LeadFactory(
        owner_user=rep,
        source=web,
        state=LeadState.DISQUALIFIED,
        status=LeadStatus.NO_LONGER_INTERESTED,
    )
    factories.LeadFactory(owner_user=rep, source=partner, contacted=True)
    factories.LeadFactory(owner_user=rep, source=partner, disqualified=True)
    factories.LeadFactory(owner_user=rep, source=None)
    for _ in range(4):
        factories.LeadFactory(owner_user=rep2, source=web, qualified=True)


def by_source(rows):
    return {row.source: row for row in rows}


def test_counts_per_source_match_the_leads(rep, data):
    rows, total = source_performance_report(user=rep)
    rows = by_source(rows)
    web = rows[LeadSource.WEB]
    assert (web.created, web.open, web.qualified, web.disqualified) == (6, 2, 3, 1)
    assert web.qualification_rate == pytest.approx(3 / 4)
    partner = rows[LeadSource.PARTNER]
    assert (partner.created, partner.open, partner.qualified, partner.disqualified) == (
        2,
        1,
        0,
        1,
    )
    assert partner.qualification_rate == 0
    assert rows[None].label == "No source"
    assert rows[None].qualification_rate is None
    assert (total.created, total.open, total.qualified, total.disqualified) == (
        9,
        4,
        3,
        2,
    )


def test_report_respects_scope(rep2, manager, administrator, data):
    rows, total = source_performance_report(user=rep2)
    assert total.created == 4
    assert by_source(rows)[LeadSource.WEB].qualified == 4
    _, total = source_performance_report(user=manager)  # North: rep's leads only
    assert total.created == 9
    _, total = source_performance_report(user=administrator)
    assert total.created == 13


def test_report_is_one_query(rep, data, django_assert_num_queries):
    source_performance_report(user=rep)  # warm the per-user gate cache
    with django_assert_num_queries(1):
        source_performance_report(user=rep)


def test_created_period_includes_both_days(rep):
    factories.LeadFactory(owner_user=rep, created_at=days_ago(40))
    factories.LeadFactory(owner_user=rep, created_at=days_ago(10))
    factories.LeadFactory(owner_user=rep, created_at=days_ago(0))
    today = timezone.localdate()
    _, total = source_performance_report(
        user=rep, created_from=today - datetime.timedelta(days=10), created_to=today
    )
    assert total.created == 2
    _, total = source_performance_report(
        user=rep, created_to=today - datetime.timedelta(days=11)
    )
    assert total.created == 1


def test_wilson_interval_known_values():
    low, high = wilson_interval(3, 4)
    assert low == pytest.approx(0.3006, abs=1e-4)
    assert high == pytest.approx(0.9544, abs=1e-4)
    low, high = wilson_interval(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    assert wilson_interval(0, 0) is None


def test_small_samples_get_wider_intervals():
    small = wilson_interval(2, 3)
    large = wilson_interval(600, 900)
    assert small[1] - small[0] > large[1] - large[0]
    assert all(0 <= v <= 1 for v in (*small, *large))
    assert math.isclose(sum(large) / 2, 600 / 900, abs_tol=0.01)


def test_page_shows_table_links_and_chart_data(rep_client, data):
    response = rep_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="source-report"' in html
    assert "75.0%" in html
    assert "vendor/chart.umd.min.js" in html and "js/source_report.js" in html
    assert "<script>" not in html.replace('<script type="application/json"', "")
    assert 'id="source-report-data" type="application/json"' in html
    chart = response.context["chart_data"]
    assert chart["labels"] == ["Partner", "Web", "No source"]
    assert chart["rates"][1] == 75.0
    web = next(row for row in response.context["rows"] if row.source == LeadSource.WEB)
    query = parse_qs(urlsplit(web.links["qualified"]).query)
    assert query["source"] == [str(int(LeadSource.WEB))]
    assert query["state"] == [str(int(LeadState.QUALIFIED))]
    assert f'href="{web.links["qualified"].replace("&", "&amp;")}"' in html


def test_links_lead_to_the_same_leads_in_the_list(rep_client, data):
    response = rep_client.get(URL)
    web = next(row for row in response.context["rows"] if row.source == LeadSource.WEB)
    listed = rep_client.get(web.links["qualified"])
    assert listed.status_code == 200
    # The lead list shows its own total; it must agree with the report.
    assert "1–3 of 3" in listed.content.decode()


def test_links_carry_the_period(rep_client, rep):
    factories.LeadFactory(owner_user=rep)
    response = rep_client.get(URL + "?created_from=2026-01-01&created_to=2026-12-31")
    total = response.context["total"]
    query = parse_qs(urlsplit(total.links["open"]).query)
    assert query["created_after"] == ["2026-01-01"]
    assert query["created_before"] == ["2026-12-31"]


def test_csv_export_has_the_same_table(rep_client, data):
    response = rep_client.get(URL + "?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:6] == [
        "Source",
        "Source code",
        "Created",
        "Open",
        "Qualified",
        "Disqualified",
    ]
    web = next(r for r in rows if r[0] == "Web")
    assert web[2:7] == ["6", "2", "3", "1", "75.0"]
    assert rows[-1][0] == "All sources" and rows[-1][2] == "9"


def test_invalid_period_is_a_form_error_not_a_500(rep_client, data):
    response = rep_client.get(URL + "?created_from=2026-05-01&created_to=2026-01-01")
    assert response.status_code == 200
    assert "before the start date" in response.content.decode()
    response = rep_client.get(URL + "?created_from=nonsense")
    assert response.status_code == 200


def test_empty_report_says_so(rep_client):
    response = rep_client.get(URL)
    assert response.status_code == 200
    assert "No leads in this period" in response.content.decode()


def test_report_requires_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
