"""The lead messages of the API beyond the lifecycle: qualify's duplicate check,
route (and its dry run), assign, merge, and Associate/Disassociate with accounts and
contacts."""

import json

import pytest

from accounts.models import TokenScope
from accounts.services.tokens import create_api_token
from leads.models import (
    AssignmentReason,
    Lead,
    LeadAccount,
    LeadAssignment,
    LeadContact,
    LeadState,
)
from tests import factories
from tests.support import snapshot


def _url(lead, action=""):
    return f"/api/leads/{lead.pk}" + (f"/{action}" if action else "")


def _post(client, url, data=None, **headers):
    return client.post(
        url, json.dumps(data or {}), content_type="application/json", headers=headers
    )


def _matched(lead):
    return f'"{lead.version}"'


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(
        owner_user=rep,
        company_name="Fabrikam",
        email="dana@fabrikam.example",
        last_name="Kim",
    )


# --- qualify: possible duplicates ---------------------------------------------------


def test_qualify_refuses_to_create_a_duplicate_and_lists_the_matches(
    rep_client, rep, rep2, lead
):
    mine = factories.AccountFactory(owner_user=rep, name="Fabrikam")
    factories.AccountFactory(owner_user=rep2, name="Fabrikam Ltd", email=lead.email)
    before = snapshot()
    response = _post(rep_client, _url(lead, "qualify"), {}, if_match=_matched(lead))
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "urn:leadsite:problem:possible-duplicates"
    assert body["matches"]["accounts"] == [
        {"id": mine.pk, "name": "Fabrikam", "reasons": ["same company name"]}
    ]
    # The other rep's account: why it matches and whose it is, nothing of it.
    [hidden] = body["matches"]["elsewhere"]
    assert hidden["kind"] == "account"
    assert "same email" in hidden["reasons"]
    assert hidden["owner"] == str(rep2)
    assert "id" not in hidden
    assert snapshot() == before


def test_qualify_links_the_named_match_or_creates_anyway(rep_client, rep, lead):
    account = factories.AccountFactory(owner_user=rep, name="Fabrikam")
    linked = _post(
        rep_client,
        _url(lead, "qualify"),
        {"existing_account": account.pk},
        if_match=_matched(lead),
    )
    assert linked.status_code == 200, linked.json()
    assert linked.json()["account"] == {
        "id": account.pk,
        "name": "Fabrikam",
        "result": "linked",
    }

    other = factories.LeadFactory(owner_user=rep, company_name="Fabrikam")
    created = _post(
        rep_client,
        _url(other, "qualify"),
        {"create_duplicates": True},
        if_match=_matched(other),
    )
    assert created.status_code == 200, created.json()
    assert created.json()["account"]["result"] == "created"
    assert created.json()["account"]["id"] != account.pk


def test_qualify_without_creating_an_account_ignores_account_matches(
    rep_client, rep, lead
):
    factories.AccountFactory(owner_user=rep, name="Fabrikam")
    response = _post(
        rep_client,
        _url(lead, "qualify"),
        {"create_account": False, "create_opportunity": False},
        if_match=_matched(lead),
    )
    assert response.status_code == 200, response.json()
    assert response.json()["account"] is None


# --- route ------------------------------------------------------------------------------


@pytest.fixture
def rule_to_rep2(rep2):
    return factories.RoutingRuleFactory(
        name="Fabrikam to Rep Two",
        target_user=rep2,
        is_active=True,
    )


def test_route_dry_run_says_where_and_writes_nothing(
    manager_client, lead, rule_to_rep2, rep2
):
    before = snapshot()
    response = _post(manager_client, _url(lead, "route"), {"dry_run": True})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["dry_run"] is True
    assert body["rule"]["id"] == rule_to_rep2.pk
    assert body["owner"] == {"kind": "user", "id": rep2.pk, "name": str(rep2)}
    assert body["changed"] is True
    assert body["lead"] is None
    assert snapshot() == before


def test_route_writes_the_owner_and_the_log_with_if_match(
    admin_client_, lead, rule_to_rep2, rep2
):
    assert _post(admin_client_, _url(lead, "route")).status_code == 428
    response = _post(admin_client_, _url(lead, "route"), if_match=_matched(lead))
    assert response.status_code == 200, response.json()
    lead.refresh_from_db()
    assert lead.owner_user == rep2
    assert response.json()["lead"]["owner_user"] == rep2.pk
    assert response["ETag"] == f'"{lead.version}"'
    entry = LeadAssignment.objects.get(lead=lead)
    assert entry.rule == rule_to_rep2 and entry.trigger == "again"


def test_route_of_a_closed_lead_is_409_with_the_page_sentence(rep_client, rep):
    closed = factories.LeadFactory(owner_user=rep)
    _post(rep_client, _url(closed, "disqualify"), {"reason": 4}, if_match='"1"')
    closed.refresh_from_db()
    assert closed.state == LeadState.DISQUALIFIED
    for data in ({"dry_run": True}, {}):
        response = _post(
            rep_client, _url(closed, "route"), data, if_match=_matched(closed)
        )
        assert response.status_code == 409
        assert "disqualified. Reactivate it" in response.json()["detail"]


# --- assign -----------------------------------------------------------------------------


def test_manager_assigns_within_the_unit_only(manager_client, org, lead, rep2):
    colleague = factories.UserFactory(business_unit=org.north)
    response = _post(
        manager_client,
        _url(lead, "assign"),
        {"owner_user": colleague.pk},
        if_match=_matched(lead),
    )
    assert response.status_code == 200, response.json()
    assert response.json()["owner_user"] == colleague.pk
    entry = LeadAssignment.objects.get(lead=lead)
    assert entry.reason == AssignmentReason.MANUAL and entry.assigned_user == colleague

    before = snapshot()
    refused = _post(
        manager_client,
        _url(lead, "assign"),
        {"owner_user": rep2.pk},  # another unit's rep
        if_match=f'"{response.json()["version"]}"',
    )
    assert refused.status_code == 400
    assert "owner_user" in refused.json()["errors"]
    assert snapshot() == before


def test_rep_giving_a_lead_away_gets_its_id_not_the_lead(rep_client, rep, lead, org):
    colleague = factories.UserFactory(business_unit=org.north)
    response = _post(
        rep_client,
        _url(lead, "assign"),
        {"owner_user": colleague.pk},
        if_match=_matched(lead),
    )
    assert response.status_code == 200, response.json()
    assert Lead.objects.get(pk=lead.pk).owner_user == colleague
    assert set(response.json()) == {"id", "detail"}
    assert "outside the leads you can open" in response.json()["detail"]


def test_assign_needs_exactly_one_owner(manager_client, lead, rep2):
    before = snapshot()
    response = _post(manager_client, _url(lead, "assign"), {}, if_match=_matched(lead))
    assert response.status_code == 400
    assert "exactly one" in response.json()["detail"]
    assert snapshot() == before


# --- merge ------------------------------------------------------------------------------


def test_merge_moves_the_subordinate_into_the_master(rep_client, rep, lead):
    other = factories.LeadFactory(
        owner_user=rep, company_name="Fabrikam Inc", job_title="Buyer"
    )
    response = _post(
        rep_client,
        "/api/leads/merge",
        {
            "master": lead.pk,
            "subordinate": other.pk,
            "master_version": lead.version,
            "subordinate_version": other.version,
            "from_subordinate": ["job_title"],
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == lead.pk
    assert response.json()["job_title"] == "Buyer"
    assert response.json()["company_name"] == "Fabrikam"
    other.refresh_from_db()
    assert other.merged and other.master_id == lead.pk


def test_merge_with_a_stale_version_is_412_and_merges_nothing(rep_client, rep, lead):
    other = factories.LeadFactory(owner_user=rep)
    before = snapshot()
    response = _post(
        rep_client,
        "/api/leads/merge",
        {
            "master": lead.pk,
            "subordinate": other.pk,
            "master_version": lead.version,
            "subordinate_version": other.version + 1,
        },
    )
    assert response.status_code == 412
    assert response.json()["current"]["id"] == other.pk
    assert snapshot() == before


def test_merge_with_a_lead_outside_scope_is_404(rep_client, rep2, lead):
    other = factories.LeadFactory(owner_user=rep2)
    before = snapshot()
    response = _post(
        rep_client,
        "/api/leads/merge",
        {
            "master": lead.pk,
            "subordinate": other.pk,
            "master_version": lead.version,
            "subordinate_version": other.version,
        },
    )
    assert response.status_code == 404
    assert snapshot() == before


# --- Associate / Disassociate -----------------------------------------------------------


def test_associate_is_idempotent_and_disassociate_too(rep_client, rep, lead):
    account = factories.AccountFactory(owner_user=rep)
    contact = factories.ContactFactory(owner_user=rep)
    for _ in range(2):
        assert rep_client.put(_url(lead, f"accounts/{account.pk}")).status_code == 204
        assert rep_client.put(_url(lead, f"contacts/{contact.pk}")).status_code == 204
    assert LeadAccount.objects.filter(lead=lead).count() == 1
    assert LeadContact.objects.filter(lead=lead).count() == 1
    assert rep_client.get(_url(lead, "accounts")).json() == [
        {"id": account.pk, "name": str(account)}
    ]
    assert rep_client.get(_url(lead, "contacts")).json() == [
        {"id": contact.pk, "name": str(contact)}
    ]
    for _ in range(2):
        assert (
            rep_client.delete(_url(lead, f"accounts/{account.pk}")).status_code == 204
        )
    assert not LeadAccount.objects.filter(lead=lead).exists()


def test_associate_outside_scope_is_404_and_writes_nothing(rep_client, rep, rep2, lead):
    theirs = factories.AccountFactory(owner_user=rep2)
    their_lead = factories.LeadFactory(owner_user=rep2)
    mine = factories.AccountFactory(owner_user=rep)
    before = snapshot()
    assert rep_client.put(_url(lead, f"accounts/{theirs.pk}")).status_code == 404
    assert rep_client.put(_url(their_lead, f"accounts/{mine.pk}")).status_code == 404
    assert rep_client.delete(_url(their_lead, f"accounts/{mine.pk}")).status_code == 404
    assert rep_client.get(_url(their_lead, "accounts")).status_code == 404
    assert snapshot() == before


def test_associate_with_a_closed_lead_is_409(rep_client, rep, lead):
    account = factories.AccountFactory(owner_user=rep)
    _post(rep_client, _url(lead, "disqualify"), {"reason": 5}, if_match='"1"')
    response = rep_client.put(_url(lead, f"accounts/{account.pk}"))
    assert response.status_code == 409
    assert "Reactivate it to change it" in response.json()["detail"]
    assert not LeadAccount.objects.exists()


# --- read-only tokens -------------------------------------------------------------------


def test_a_read_only_token_may_send_none_of_these(client, rep, lead):
    _, key = create_api_token(user=rep, name="Reader", scope=TokenScope.READ, by=rep)
    account = factories.AccountFactory(owner_user=rep)
    auth = {"authorization": f"Bearer {key}", "if_match": _matched(lead)}
    before = snapshot()
    calls = [
        ("post", _url(lead, "route"), {"dry_run": False}),
        ("post", _url(lead, "assign"), {"owner_user": rep.pk}),
        ("post", _url(lead, "qualify"), {}),
        ("post", "/api/leads/merge", {}),
        ("put", _url(lead, f"accounts/{account.pk}"), None),
        ("delete", _url(lead, f"accounts/{account.pk}"), None),
    ]
    for method, url, data in calls:
        response = getattr(client, method)(
            url,
            json.dumps(data) if data is not None else "",
            content_type="application/json",
            headers=auth,
        )
        assert response.status_code == 403, (method, url)
    assert client.get(_url(lead, "accounts"), headers=auth).status_code == 200
    # Only the token's last-used time moved.
    before.pop("accounts.ApiToken"), (after := snapshot()).pop("accounts.ApiToken")
    assert after == before
