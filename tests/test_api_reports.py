"""The lead-source report through the REST API: the page's numbers for the page's
filters (source_report_data), its refusals as 400s, scope by role, tokens."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services.tokens import create_api_token, revoke_api_token
from leads.models import LeadSource
from tests import factories

URL = "/api/reports/sources"
PAGE = "/reports/sources/"
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
FRACTIONS = [
    "qualification_rate",
    "won_share",
    "win_rate",
    "worked_within_24h_share",
    "median_days_to_qualify",
    "median_hours_to_first_work",
    "return_on_cost",
]
MONEY = ["won_revenue", "pipeline", "cost", "cost_per_lead", "cost_per_qualified"]


def _money(value):
    return None if value is None else f"{Decimal(value):.2f}"


def _same_line(api, row):
    """An API line against the page's report row, number by number."""
    assert (api["kind"], api["label"], api["source"]) == (
        row.kind,
        row.label,
        row.source,
    )
    assert api["campaign"] == (row.campaign.pk if row.campaign else None)
    assert api["no_campaign"] == row.no_campaign
    for name in COUNTS:
        assert api[name] == row.sums[name], (row.label, name)
    assert (api["disqualified"], api["closed"]) == (row.disqualified, row.closed)
    for name in FRACTIONS:
        expected = getattr(row, name)
        if expected is None:
            assert api[name] is None, (row.label, name)
        else:
            assert api[name] == pytest.approx(float(expected)), (row.label, name)
    for name in MONEY:
        assert api[name] == _money(getattr(row, name)), (row.label, name)
    interval = row.interval
    assert (api["interval_low"], api["interval_high"]) == (
        (pytest.approx(interval[0]), pytest.approx(interval[1]))
        if interval
        else (None, None)
    )
    assert api["significance"] == (row.significance or None)
    lines = api.get("campaigns", [])  # a source's lines per campaign
    assert len(lines) == len(row.campaigns)
    for api_line, line in zip(lines, row.campaigns, strict=True):
        _same_line(api_line, line)


def _filters(data, org, rep):
    return {
        "all time": {},
        "90 days": {"period": "90days"},
        "custom range": {
            "created_from": (
                timezone.localdate() - datetime.timedelta(days=30)
            ).isoformat(),
            "created_to": timezone.localdate().isoformat(),
        },
        "campaign": {"campaign": data.spring.pk},
        "unit": {"business_unit": org.north.pk},
        "owner": {"owner": rep.pk},
        "baseline partner": {"baseline": str(LeadSource.PARTNER)},
    }


@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_the_json_is_the_pages_numbers_for_the_same_filters(
    request, client, source_report_data, org, rep, who
):
    client.force_login(request.getfixturevalue(who))
    for name, params in _filters(source_report_data, org, rep).items():
        api = client.get(URL, params)
        assert api.status_code == 200, (name, api.json())
        body = api.json()
        page = client.get(PAGE, params)
        assert page.status_code == 200, name
        report = page.context["report"]
        assert [line["label"] for line in body["rows"]] == [
            row.label for row in report.rows
        ], name
        for api_line, row in zip(body["rows"], report.rows, strict=True):
            _same_line(api_line, row)
        _same_line(body["total"], report.total)
        assert body["baseline_label"] == report.baseline_label
        assert body["months"] == [m.strftime("%Y-%m") for m in report.months]
        form = page.context["form"].cleaned_data
        assert body["filters"]["period"] == form["period"]
        assert body["filters"]["created_from"] == (
            form["created_from"].isoformat() if form["created_from"] else None
        )


def test_known_numbers_of_the_web_row(rep_client, source_report_data):
    body = rep_client.get(URL, {"period": "90days"}).json()
    web = next(line for line in body["rows"] if line["source"] == LeadSource.WEB)
    assert (web["created"], web["open"], web["qualified"], web["closed"]) == (
        7,
        1,
        3,
        5,
    )
    assert web["qualification_rate"] == pytest.approx(0.6)
    assert (web["won_revenue"], web["pipeline"]) == ("4500.00", "5000.00")
    assert (web["median_days_to_qualify"], web["median_hours_to_first_work"]) == (
        4,
        7.5,
    )
    spring = next(c for c in web["campaigns"] if c["label"] == "Spring")
    assert (spring["cost"], spring["cost_per_lead"], spring["return_on_cost"]) == (
        "1000.00",
        "250.00",
        4.5,
    )
    assert body["total"]["created"] == 11
    assert body["total"]["significance"] is None
    trend = {line["label"]: line["created"] for line in body["trend"]}
    assert sum(trend["Web"]) == 7


def test_scope_a_rep_does_not_count_other_peoples_leads(
    client, source_report_data, rep, manager, administrator
):
    totals = {}
    for user in (rep, manager, administrator):
        client.force_login(user)
        totals[user.username] = client.get(URL).json()["total"]["created"]
    assert totals["rep"] < totals["manager"] < totals["administrator"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "decade"}, "period"),
        ({"created_from": "2026-02-30"}, "created_from"),
        ({"created_from": "1800-01-01"}, "created_from"),
        ({"created_from": "2025-02-01", "created_to": "2025-01-01"}, "created_to"),
        ({"baseline": "99"}, "baseline"),
        ({"campaign": "0"}, "campaign"),
        ({"owner": "OTHER"}, "owner"),
    ],
)
def test_filters_the_page_refuses_are_a_400(rep_client, rep2, params, field):
    params = {k: rep2.pk if v == "OTHER" else v for k, v in params.items()}
    response = rep_client.get(URL, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


def test_the_end_date_refusal_is_the_pages_sentence(rep_client):
    response = rep_client.get(
        URL, {"created_from": "2025-02-01", "created_to": "2025-01-01"}
    )
    assert response.json()["errors"]["created_to"] == [
        "The end date is before the start date."
    ]


def test_a_preset_period_applies_its_own_days(rep_client):
    today = timezone.localdate()
    body = rep_client.get(URL, {"period": "month", "created_from": "2001-01-01"}).json()
    assert body["filters"]["period"] == "month"
    assert body["filters"]["created_from"] == today.replace(day=1).isoformat()
    assert body["filters"]["created_to"] == today.isoformat()


def test_anonymous_revoked_and_expired_are_401_a_read_only_token_reads(client, rep):
    assert client.get(URL).status_code == 401
    revoked, revoked_key = create_api_token(user=rep, name="x", by=rep)
    revoke_api_token(token=revoked, by=rep)
    expired, expired_key = create_api_token(user=rep, name="e", by=rep)
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    for key in (revoked_key, expired_key):
        response = client.get(URL, headers={"authorization": f"Bearer {key}"})
        assert response.status_code == 401
    _token, key = create_api_token(user=rep, name="r", by=rep)
    assert client.get(URL, headers={"authorization": f"Bearer {key}"}).status_code == (
        200
    )


def test_only_get(rep_client):
    assert rep_client.post(URL, {}).status_code == 405


def test_query_count_does_not_grow_with_sources_and_campaigns(
    rep_client, rep, django_assert_max_num_queries
):
    factories.LeadFactory(
        owner_user=rep, source=LeadSource.WEB, campaign=factories.CampaignFactory()
    )
    with django_assert_max_num_queries(40) as few:
        assert rep_client.get(URL).status_code == 200
    for source in (LeadSource.PARTNER, LeadSource.SEMINAR, LeadSource.OTHER):
        for _ in range(3):
            factories.LeadFactory(
                owner_user=rep, source=source, campaign=factories.CampaignFactory()
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = rep_client.get(URL).json()
    assert len(body["rows"]) == 4
