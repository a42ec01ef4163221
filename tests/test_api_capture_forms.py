"""Campaigns and capture forms through the REST API, read only: campaigns for
every role, capture forms as their page lists them (reps: 404). Web-to-lead over
JSON is tests/test_api_capture.py."""

import datetime
import json

import pytest
from django.utils import timezone

from accounts.models import ApiToken, TokenScope
from accounts.services.tokens import create_api_token, revoke_api_token
from leads.selectors import capture as selectors
from tests import factories
from tests.support import snapshot


def _key(user, scope=TokenScope.READ):
    _token, key = create_api_token(user=user, name="k", scope=scope, by=user)
    return {"authorization": f"Bearer {key}"}


@pytest.fixture
def forms(org):
    north_east = factories.BusinessUnitFactory(name="North East", parent=org.north)
    return {
        "north": factories.CaptureFormFactory(name="North", business_unit=org.north),
        "north_east": factories.CaptureFormFactory(
            name="North East", business_unit=north_east
        ),
        "south": factories.CaptureFormFactory(name="South", business_unit=org.south),
    }


@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_every_role_reads_every_campaign(request, client, who):
    client.force_login(request.getfixturevalue(who))
    spring = factories.CampaignFactory(name="Spring", cost="250.00")
    factories.CampaignFactory(name="Autumn", is_active=False)
    rows = client.get("/api/campaigns").json()["results"]
    assert [row["name"] for row in rows] == ["Autumn", "Spring"]
    one = client.get(f"/api/campaigns/{spring.pk}").json()
    assert (one["cost"], one["is_active"], one["source_label"]) == (
        "250.00",
        True,
        "Advertisement",
    )
    assert client.get("/api/campaigns/999999").status_code == 404


def test_campaigns_cannot_be_written(admin_client_):
    campaign = factories.CampaignFactory()
    before = snapshot()
    body = json.dumps({"name": "New"})
    assert (
        admin_client_.post("/api/campaigns", body, "application/json").status_code
        == 405
    )
    url = f"/api/campaigns/{campaign.pk}"
    assert admin_client_.patch(url, body, "application/json").status_code == 405
    assert admin_client_.delete(url).status_code == 405
    assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("manager", {"North", "North East"}),
        ("administrator", {"North", "North East", "South"}),
    ],
)
def test_capture_forms_as_their_page_lists_them(request, client, forms, who, expected):
    client.force_login(request.getfixturevalue(who))
    rows = client.get("/api/capture-forms").json()["results"]
    assert {row["name"] for row in rows} == expected
    north = forms["north"]
    row = client.get(f"/api/capture-forms/{north.pk}").json()
    assert row["public_url"] == f"http://testserver/capture/{north.token}/"
    assert row["fields_shown"] == north.fields_shown


def test_a_manager_gets_404_for_another_units_form(manager_client, forms):
    response = manager_client.get(f"/api/capture-forms/{forms['south'].pk}")
    assert response.status_code == 404


def test_a_rep_gets_404_as_on_the_page(rep_client, forms):
    assert rep_client.get("/api/capture-forms").status_code == 404
    response = rep_client.get(f"/api/capture-forms/{forms['north'].pk}")
    assert response.status_code == 404
    assert rep_client.get("/capture-forms/").status_code == 404


def test_the_forms_selector_gives_a_rep_none(rep, forms):
    """The selector's scope is the page's: managers and administrators only."""
    assert list(selectors.list_capture_forms(user=rep)) == []


def test_capture_forms_cannot_be_written(admin_client_, forms):
    before = snapshot()
    url = f"/api/capture-forms/{forms['north'].pk}"
    body = json.dumps({"name": "Renamed"})
    assert admin_client_.patch(url, body, "application/json").status_code == 405
    assert (
        admin_client_.post("/api/capture-forms", body, "application/json").status_code
        == 405
    )
    assert snapshot() == before


def test_anonymous_revoked_and_expired_are_401(client, manager, forms):
    campaign = factories.CampaignFactory()
    urls = [
        "/api/campaigns",
        f"/api/campaigns/{campaign.pk}",
        "/api/capture-forms",
        f"/api/capture-forms/{forms['north'].pk}",
    ]
    revoked, revoked_key = create_api_token(user=manager, name="x", by=manager)
    revoke_api_token(token=revoked, by=manager)
    expired, expired_key = create_api_token(user=manager, name="e", by=manager)
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    for url in urls:
        assert client.get(url).status_code == 401
        for key in (revoked_key, expired_key):
            headers = {"authorization": f"Bearer {key}"}
            assert client.get(url, headers=headers).status_code == 401


def test_a_read_only_token_reads(client, manager, forms):
    headers = _key(manager)
    assert client.get("/api/capture-forms", headers=headers).status_code == 200
    assert client.get("/api/campaigns", headers=headers).status_code == 200


def test_list_query_counts_do_not_grow(
    admin_client_, org, django_assert_max_num_queries
):
    for url, make in (
        ("/api/campaigns", lambda: factories.CampaignFactory()),
        (
            "/api/capture-forms",
            lambda: factories.CaptureFormFactory(
                business_unit=org.north, campaign=factories.CampaignFactory()
            ),
        ),
    ):
        for _ in range(2):
            make()
        with django_assert_max_num_queries(8) as few:
            count = len(admin_client_.get(url).json()["results"])
        for _ in range(20):
            make()
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert len(admin_client_.get(url).json()["results"]) > count
