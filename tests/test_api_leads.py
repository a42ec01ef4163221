"""The leads resource of the REST API: scope by role, ETag/If-Match, transitions,
pagination, `?fields=`, query counts and the schema."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from leads.models import Lead, LeadState, LeadStatus
from leadsite.core.history import field_changes
from tests import factories
from tests.support import snapshot

LIST = "/api/leads"


def _url(lead, action=""):
    return f"/api/leads/{lead.pk}" + (f"/{action}" if action else "")


def _patch(client, lead, data, **headers):
    return client.patch(
        _url(lead), json.dumps(data), content_type="application/json", headers=headers
    )


def _post(client, url, data=None, **headers):
    return client.post(
        url, json.dumps(data or {}), content_type="application/json", headers=headers
    )


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(owner_user=rep, company_name="Fabrikam")


@pytest.fixture
def other_lead(rep2):
    return factories.LeadFactory(owner_user=rep2)


# --- reads -----------------------------------------------------------------------


def test_anonymous_gets_a_problem_not_a_redirect(client, lead):
    for response in (client.get(LIST), client.get(_url(lead))):
        assert response.status_code in (401, 403)
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == response.status_code


@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_list_shows_the_leads_in_scope(request, client, lead, other_lead, who):
    client.force_login(request.getfixturevalue(who))
    ids = {row["id"] for row in client.get(LIST).json()["results"]}
    assert lead.pk in ids
    assert (other_lead.pk in ids) == (who == "administrator")


@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_retrieve_in_scope_with_etag(request, client, lead, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(_url(lead))
    assert response.status_code == 200
    assert response.json()["company_name"] == "Fabrikam"
    assert response["ETag"] == f'"{lead.version}"'


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_a_lead_outside_scope_is_404_on_every_verb(request, client, other_lead, who):
    client.force_login(request.getfixturevalue(who))
    before = snapshot()
    etag = f'"{other_lead.version}"'
    assert client.get(_url(other_lead)).status_code == 404
    assert (
        _patch(client, other_lead, {"subject": "x"}, if_match=etag).status_code == 404
    )
    for action in ("disqualify", "reactivate", "qualify"):
        response = _post(client, _url(other_lead, action), {"reason": 4}, if_match=etag)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
    assert snapshot() == before


def test_list_filters_with_the_page_filter(rep_client, rep):
    open_lead = factories.LeadFactory(owner_user=rep, last_name="Openshaw")
    factories.LeadFactory(owner_user=rep, last_name="Zed")
    response = rep_client.get(LIST, {"q": "Openshaw"})
    assert [row["id"] for row in response.json()["results"]] == [open_lead.pk]


def test_list_refuses_an_invalid_filter_value(rep_client):
    response = rep_client.get(LIST, {"state": "junk"})
    assert response.status_code == 400
    assert "state" in response.json()["errors"]


def test_cursor_pages_have_no_duplicates_and_no_gaps(rep_client, rep):
    leads = factories.LeadFactory.create_batch(7, owner_user=rep)
    seen, url = [], LIST + "?page_size=3"
    while url:
        body = rep_client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(lead.pk for lead in leads)
    assert len(seen) == len(set(seen))
    created = {lead.pk: lead.created_at for lead in Lead.objects.all()}
    assert seen == sorted(seen, key=lambda pk: (created[pk], pk), reverse=True)


def test_fields_returns_only_those(rep_client, lead):
    row = rep_client.get(LIST, {"fields": "id,subject"}).json()["results"][0]
    assert set(row) == {"id", "subject"}
    assert set(rep_client.get(_url(lead), {"fields": "id"}).json()) == {"id"}
    response = rep_client.get(LIST, {"fields": "id,password"})
    assert response.status_code == 400
    assert "fields" in response.json()["errors"]


def test_list_query_count_does_not_grow_with_the_page(
    rep_client, rep, django_assert_max_num_queries
):
    factories.LeadFactory.create_batch(3, owner_user=rep)
    with django_assert_max_num_queries(6) as small:
        assert len(rep_client.get(LIST, {"page_size": 3}).json()["results"]) == 3
    factories.LeadFactory.create_batch(30, owner_user=rep)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(rep_client.get(LIST, {"page_size": 33}).json()["results"]) == 33


# --- create and update ---------------------------------------------------------


@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_create_routes_and_returns_the_lead(request, client, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = _post(
        client, LIST, {"subject": "API lead", "last_name": "Api", "assign_to_me": True}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    lead = Lead.objects.get(pk=body["id"])
    assert lead.subject == "API lead"
    assert lead.owner_user == user
    assert response["Location"] == f"/api/leads/{lead.pk}"
    assert response["ETag"] == f'"{lead.version}"'


def test_create_refuses_missing_fields_as_problem(rep_client):
    before = snapshot()
    response = _post(rep_client, LIST, {"subject": ""})
    assert response.status_code == 400
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert {"type", "title", "status", "detail", "errors"} <= set(body)
    assert {"subject", "last_name"} <= set(body["errors"])
    assert snapshot() == before


def test_patch_with_current_etag_saves_and_bumps_the_etag(rep_client, lead):
    response = _patch(
        rep_client, lead, {"subject": "New"}, if_match=f'"{lead.version}"'
    )
    assert response.status_code == 200, response.json()
    lead.refresh_from_db()
    assert lead.subject == "New"
    assert response["ETag"] == f'"{lead.version}"'


def test_patch_without_if_match_is_428(rep_client, lead):
    response = _patch(rep_client, lead, {"subject": "New"})
    assert response.status_code == 428
    lead.refresh_from_db()
    assert lead.subject != "New"


def test_patch_with_a_stale_etag_is_412_with_the_current_lead(rep_client, lead):
    stale = f'"{lead.version}"'
    assert (
        _patch(rep_client, lead, {"subject": "First"}, if_match=stale).status_code
        == 200
    )
    response = _patch(rep_client, lead, {"subject": "Second"}, if_match=stale)
    assert response.status_code == 412
    body = response.json()
    assert body["current"]["subject"] == "First"
    lead.refresh_from_db()
    assert lead.subject == "First"
    assert response["ETag"] == f'"{lead.version}"'


def test_patch_of_a_closed_lead_is_409_with_the_page_sentence(rep_client, rep):
    lead = factories.LeadFactory(
        owner_user=rep, state=LeadState.DISQUALIFIED, status=LeadStatus.LOST
    )
    response = _patch(rep_client, lead, {"subject": "x"}, if_match=f'"{lead.version}"')
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "This lead is disqualified. Reactivate it to change it."
    )


# --- transitions ----------------------------------------------------------------


def test_disqualify_then_reactivate(rep_client, lead):
    etag = f'"{lead.version}"'
    response = _post(rep_client, _url(lead, "disqualify"), {"reason": 5}, if_match=etag)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == LeadStatus.CANNOT_CONTACT
    new_etag = response["ETag"]
    assert new_etag != etag  # the state changed: the version moved on
    response = _post(rep_client, _url(lead, "disqualify"), {"reason": 5}, if_match=etag)
    assert response.status_code == 412
    response = _post(
        rep_client, _url(lead, "disqualify"), {"reason": 5}, if_match=new_etag
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "This lead is already disqualified."
    response = _post(rep_client, _url(lead, "reactivate"), {}, if_match=new_etag)
    assert response.status_code == 200
    assert response.json()["state"] == LeadState.OPEN


def test_transitions_need_if_match(rep_client, lead):
    before = snapshot()
    for action in ("disqualify", "reactivate", "qualify"):
        response = _post(rep_client, _url(lead, action), {"reason": 4})
        assert response.status_code == 428
    response = _post(
        rep_client, _url(lead, "disqualify"), {"reason": 4}, if_match='"999"'
    )
    assert response.status_code == 412
    assert snapshot() == before


def test_disqualify_refuses_an_unknown_reason(rep_client, lead):
    response = _post(
        rep_client,
        _url(lead, "disqualify"),
        {"reason": 3},
        if_match=f'"{lead.version}"',
    )
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]


@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_qualify_returns_references_to_the_records(request, client, lead, who):
    client.force_login(request.getfixturevalue(who))
    response = _post(
        client,
        _url(lead, "qualify"),
        {"create_account": True, "create_contact": True, "create_opportunity": True},
        if_match=f'"{lead.version}"',
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert body["account"] == {
        "id": lead.qualifying_account_id,
        "name": "Fabrikam",
        "result": "created",
    }
    assert body["contact"]["id"] == lead.qualifying_contact_id
    assert body["opportunity"]["id"] == lead.qualifying_opportunity_id
    assert body["lead"]["state"] == LeadState.QUALIFIED


def test_qualify_links_an_existing_account(rep_client, rep, lead):
    account = factories.AccountFactory(owner_user=rep)
    response = _post(
        rep_client,
        _url(lead, "qualify"),
        {"existing_account": account.pk, "create_contact": False},
        if_match=f'"{lead.version}"',
    )
    assert response.status_code == 200, response.json()
    assert response.json()["account"]["result"] == "linked"
    assert response.json()["contact"] is None


def test_qualify_refuses_an_account_outside_scope(rep_client, rep2, lead):
    account = factories.AccountFactory(owner_user=rep2)
    before = snapshot()
    response = _post(
        rep_client,
        _url(lead, "qualify"),
        {"existing_account": account.pk},
        if_match=f'"{lead.version}"',
    )
    assert response.status_code == 400
    assert "existing_account" in response.json()["errors"]
    assert snapshot() == before


def test_qualify_twice_is_409_with_the_page_sentence(rep_client, lead):
    etag = f'"{lead.version}"'
    url = _url(lead, "qualify")
    assert _post(rep_client, url, {}, if_match=etag).status_code == 200
    assert _post(rep_client, url, {}, if_match=etag).status_code == 412  # stale
    lead.refresh_from_db()
    response = _post(rep_client, url, {}, if_match=f'"{lead.version}"')
    assert response.status_code == 409
    assert response.json()["detail"] == "This lead is already qualified."


def test_session_writes_need_the_csrf_token(rep, lead):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    response = _patch(client, lead, {"subject": "x"}, if_match=f'"{lead.version}"')
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


# --- schema and docs --------------------------------------------------------------


def test_schema_is_openapi_with_the_lead_paths(rep_client):
    response = rep_client.get(
        reverse("api:schema"), headers={"accept": "application/json"}
    )
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/leads",
        "/api/leads/{id}",
        "/api/leads/{id}/disqualify",
        "/api/leads/{id}/reactivate",
        "/api/leads/{id}/qualify",
    ):
        assert path in schema["paths"], path
    bearer = schema["components"]["securitySchemes"]["apiToken"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")


def test_docs_page_for_a_signed_in_user_uses_no_cdn(rep_client):
    response = rep_client.get(reverse("api:docs"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert "<style>" not in page
    script = rep_client.get(reverse("api:docs"), {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_an_api_edit_is_recorded_through_the_api(rep_client, rep, lead):
    response = _patch(
        rep_client, lead, {"subject": "Renewal"}, if_match=f'"{lead.version}"'
    )
    assert response.status_code == 200, response.json()
    change = next(c for c in field_changes(lead) if c.field == "topic")
    assert (change.new, change.who, change.through) == ("Renewal", rep, "API")
