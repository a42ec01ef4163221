"""The accounts, contacts and opportunities resources of the REST API (with an
opportunity's outcome and product lines): scope by role, tokens, ETag/If-Match,
the services' refusals, filters, cursor pages, `?fields=` and query counts."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone
from rest_framework.views import APIView

from accounts.api.opportunities import OpportunityProductViewSet
from accounts.api.serializers import OpportunitySerializer, line_version
from accounts.models import (
    Account,
    ApiToken,
    Contact,
    Opportunity,
    OpportunityProduct,
    OpportunityState,
    OpportunityStatus,
    TokenScope,
)
from accounts.services import CLOSED_OPPORTUNITY_MESSAGE
from accounts.services.tokens import create_api_token, revoke_api_token
from leadsite.core.api import ApiLoginMixin
from leadsite.core.history import field_changes
from tests import factories
from tests.support import snapshot

PROBLEM = "application/problem+json"
PATHS = {
    "account": "/api/accounts",
    "contact": "/api/contacts",
    "opportunity": "/api/opportunities",
}
KINDS = list(PATHS)
MODELS = {"account": Account, "contact": Contact, "opportunity": Opportunity}
# A field each kind's PATCH may change, and its new value.
EDITS = {"account": "name", "contact": "last_name", "opportunity": "name"}
TODAY = timezone.localdate().isoformat()
WIN = {"actual_value": "4200.50", "actual_close_date": TODAY}
LOSE = {"reason": OpportunityStatus.OUT_SOLD.value, "description": "Price"}


@pytest.fixture(autouse=True)
def _empty_cache():
    # The per-token request counts live in the cache.
    cache.clear()
    yield
    cache.clear()


def _make(kind, owner, **kwargs):
    factory = {
        "account": factories.AccountFactory,
        "contact": factories.ContactFactory,
        "opportunity": factories.OpportunityFactory,
    }[kind]
    return factory(owner_user=owner, **kwargs)


def _url(record, action=""):
    kind = type(record).__name__.lower()
    return f"{PATHS[kind]}/{record.pk}" + (f"/{action}" if action else "")


def _send(client, method, url, data=None, **headers):
    if method == "get":
        return client.get(url, headers=headers)
    body = json.dumps(data) if data is not None else ""
    return getattr(client, method)(
        url, body, content_type="application/json", headers=headers
    )


def _tag(record) -> str:
    return f'"{record.version}"'


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    return body


def _create_body(kind, user):
    if kind == "account":
        return {"name": "Northwind", "website": "northwind.example"}
    if kind == "contact":
        return {"last_name": "Apiton", "first_name": "Ada"}
    account = factories.AccountFactory(owner_user=user)
    return {"name": "Forty seats", "account": account.pk, "estimated_value": "100"}


def _bearer(key):
    return {"authorization": f"Bearer {key}"}


def _token(user, scope=TokenScope.READ_WRITE):
    return create_api_token(user=user, name="Sync", scope=scope, by=user)


def _reloaded(record):
    return type(record).objects.get(pk=record.pk)


# --- who sees what ----------------------------------------------------------------


def test_anonymous_gets_a_401_problem_on_every_endpoint(client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    line = factories.OpportunityProductFactory(opportunity=opportunity)
    before = snapshot()
    calls = [("get", path) for path in PATHS.values()]
    calls += [("post", path) for path in PATHS.values()]
    calls += [
        ("get", _url(opportunity)),
        ("patch", _url(opportunity)),
        ("post", _url(opportunity, "win")),
        ("post", _url(opportunity, "lose")),
        ("post", _url(opportunity, "reopen")),
        ("get", _url(opportunity, "products")),
        ("post", _url(opportunity, "products")),
        ("get", _url(opportunity, f"products/{line.pk}")),
        ("delete", _url(opportunity, f"products/{line.pk}")),
    ]
    for method, url in calls:
        response = _send(client, method, url, {}, if_match='"1"')
        _problem(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer"), url
    assert snapshot() == before


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_list_shows_the_records_in_scope(request, client, rep, rep2, kind, who):
    mine = _make(kind, rep)
    theirs = _make(kind, rep2)
    client.force_login(request.getfixturevalue(who))
    response = client.get(PATHS[kind])
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert mine.pk in ids
    assert (theirs.pk in ids) == (who == "administrator")


def test_a_reps_list_includes_the_records_of_the_reps_teams(rep_client, rep, org):
    team = factories.TeamFactory(business_unit=org.south, members=[rep])
    account = factories.AccountFactory(owner_user=None, owner_team=team)
    ids = [row["id"] for row in rep_client.get(PATHS["account"]).json()["results"]]
    assert ids == [account.pk]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_retrieve_in_scope_carries_the_version(request, client, rep, kind, who):
    record = _make(kind, rep)
    client.force_login(request.getfixturevalue(who))
    response = client.get(_url(record))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["version"]) == (record.pk, record.version)
    assert response["ETag"] == _tag(record)
    assert body["owner_name"] == str(rep)


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_records_outside_scope_are_404_on_every_verb(request, client, rep2, who):
    client.force_login(request.getfixturevalue(who))
    account = factories.AccountFactory(owner_user=rep2)
    contact = factories.ContactFactory(owner_user=rep2)
    opportunity = factories.OpportunityFactory(owner_user=rep2)
    closed = factories.OpportunityFactory(owner_user=rep2, won=True)
    line = factories.OpportunityProductFactory(opportunity=opportunity)
    product = factories.ProductFactory()
    calls = [
        ("get", _url(account), None, account),
        ("patch", _url(account), {"name": "Taken"}, account),
        ("get", _url(contact), None, contact),
        ("patch", _url(contact), {"last_name": "Taken"}, contact),
        ("get", _url(opportunity), None, opportunity),
        ("patch", _url(opportunity), {"name": "Taken"}, opportunity),
        ("post", _url(opportunity, "win"), WIN, opportunity),
        ("post", _url(opportunity, "lose"), LOSE, opportunity),
        ("post", _url(closed, "reopen"), None, closed),
        ("get", _url(opportunity, "products"), None, opportunity),
        ("post", _url(opportunity, "products"), {"product": product.pk}, opportunity),
        ("get", _url(opportunity, f"products/{line.pk}"), None, opportunity),
        ("delete", _url(opportunity, f"products/{line.pk}"), None, opportunity),
    ]
    before = snapshot()
    for method, url, data, record in calls:
        if_match = f'"{line_version(line)}"' if method == "delete" else _tag(record)
        response = _send(client, method, url, data, if_match=if_match)
        _problem(response, 404)
    assert snapshot() == before


def test_a_missing_product_line_is_404(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    elsewhere = factories.OpportunityProductFactory(
        opportunity=factories.OpportunityFactory(owner_user=rep)
    )
    # A line of another opportunity is not one of this one's.
    url = _url(opportunity, f"products/{elsewhere.pk}")
    _problem(rep_client.get(url), 404)
    before = snapshot()
    _problem(_send(rep_client, "delete", url, if_match='"1"'), 404)
    assert snapshot() == before


def test_methods_the_pages_do_not_offer_are_405(rep_client, rep):
    """No delete of accounts, contacts or opportunities, no PUT."""
    opportunity = factories.OpportunityFactory(owner_user=rep)
    line = factories.OpportunityProductFactory(opportunity=opportunity)
    before = snapshot()
    for record in (opportunity.account, opportunity):
        for method in ("delete", "put"):
            response = _send(
                rep_client, method, _url(record), {}, if_match=_tag(record)
            )
            _problem(response, 405)
    response = _send(
        rep_client,
        "patch",
        _url(opportunity, f"products/{line.pk}"),
        {"quantity": "2"},
        if_match=f'"{line_version(line)}"',
    )
    _problem(response, 405)
    assert snapshot() == before


# --- API tokens -------------------------------------------------------------------


def test_a_read_only_token_reads_but_every_write_is_403(client, rep):
    account = factories.AccountFactory(owner_user=rep)
    opportunity = factories.OpportunityFactory(owner_user=rep, account=account)
    line = factories.OpportunityProductFactory(opportunity=opportunity)
    product = factories.ProductFactory()
    _, key = _token(rep, TokenScope.READ)
    headers = _bearer(key)
    for url in (*PATHS.values(), _url(account), _url(opportunity, "products")):
        assert client.get(url, headers=headers).status_code == 200, url
    before = snapshot()  # after the first use, which notes the token's last use
    writes = [
        ("post", PATHS["account"], {"name": "Northwind"}),
        ("patch", _url(account), {"name": "Renamed"}),
        ("post", PATHS["contact"], {"last_name": "Apiton"}),
        ("post", PATHS["opportunity"], {"name": "x", "account": account.pk}),
        ("patch", _url(opportunity), {"name": "Renamed"}),
        ("post", _url(opportunity, "win"), WIN),
        ("post", _url(opportunity, "lose"), LOSE),
        ("post", _url(opportunity, "reopen"), {}),
        ("post", _url(opportunity, "products"), {"product": product.pk}),
        ("delete", _url(opportunity, f"products/{line.pk}"), None),
    ]
    for method, url, data in writes:
        response = _send(client, method, url, data, if_match=_tag(account), **headers)
        body = _problem(response, 403)
        assert "read-only" in body["detail"], url
    assert snapshot() == before


def test_a_read_write_token_creates_and_edits_without_csrf(rep):
    client = Client(enforce_csrf_checks=True)
    _, key = _token(rep)
    response = _send(
        client, "post", PATHS["account"], {"name": "Tokenised"}, **_bearer(key)
    )
    assert response.status_code == 201, response.json()
    account = Account.objects.get(pk=response.json()["id"])
    assert account.owner_user == rep
    response = _send(
        client,
        "patch",
        _url(account),
        {"phone": "+1 555 0100"},
        if_match=_tag(account),
        **_bearer(key),
    )
    assert response.status_code == 200
    assert _reloaded(account).phone == "+1 555 0100"


def _revoked(user):
    token, key = _token(user)
    revoke_api_token(token=token, by=user)
    return key


def _expired(user):
    token, key = _token(user)
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    return key


@pytest.mark.parametrize("make_key", [_revoked, _expired], ids=["revoked", "expired"])
def test_revoked_and_expired_tokens_are_401(client, rep, make_key):
    key = make_key(rep)
    account = factories.AccountFactory(owner_user=rep)
    before = snapshot()
    for method, url, data in [
        ("get", PATHS["account"], None),
        ("get", _url(account), None),
        ("patch", _url(account), {"name": "x"}),
        ("post", PATHS["contact"], {"last_name": "x"}),
    ]:
        response = _send(
            client, method, url, data, if_match=_tag(account), **_bearer(key)
        )
        _problem(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot() == before


def test_session_writes_need_the_csrf_token(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    account = factories.AccountFactory(owner_user=rep)
    before = snapshot()
    response = _send(
        client, "patch", _url(account), {"name": "x"}, if_match=_tag(account)
    )
    _problem(response, 403)
    assert snapshot() == before


# --- create ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_create_is_owned_by_the_caller(request, client, kind, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = _send(client, "post", PATHS[kind], _create_body(kind, user))
    assert response.status_code == 201, response.json()
    record = MODELS[kind].objects.get(pk=response.json()["id"])
    assert (record.owner_user, record.business_unit) == (user, user.business_unit)
    assert response["Location"] == f"{PATHS[kind]}/{record.pk}"
    assert response["ETag"] == '"1"'
    assert response.json()["owner_name"] == str(user)


def test_create_takes_a_bare_domain_as_https_like_the_form(rep_client):
    response = _send(
        rep_client, "post", PATHS["account"], {"name": "N", "website": "n.example"}
    )
    assert response.json()["website"] == "https://n.example"


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("account", {"account_number": "1"}, "name"),
        ("account", {"name": "N", "annual_revenue": "-1"}, "annual_revenue"),
        ("account", {"name": "N", "industry": 99}, "industry"),
        ("contact", {"first_name": "Only"}, "last_name"),
        ("contact", {"last_name": "L", "email": "not-an-email"}, "email"),
        ("opportunity", {"name": "No customer"}, "account"),
        ("opportunity", {"name": "N", "close_probability": 101}, "close_probability"),
        ("opportunity", {"name": "N", "estimated_close_date": "1800-01-01"}, "estimated_close_date"),
    ],
)  # fmt: skip
def test_create_refuses_invalid_values_as_a_problem(rep_client, rep, kind, body, field):
    if kind == "opportunity" and field != "account":
        body = {**body, "contact": factories.ContactFactory(owner_user=rep).pk}
    before = snapshot()
    body = _problem(_send(rep_client, "post", PATHS[kind], body), 400)
    assert body["type"] == "urn:leadsite:problem:validation-error"
    assert field in body["errors"]
    assert snapshot() == before


def test_an_opportunity_needs_a_customer_in_the_forms_words(rep_client):
    body = _problem(_send(rep_client, "post", PATHS["opportunity"], {"name": "N"}), 400)
    assert body["errors"] == {
        "account": ["Choose the customer: an account or a contact."]
    }


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("account", "parent_account"),
        ("account", "primary_contact"),
        ("contact", "account"),
        ("opportunity", "account"),
        ("opportunity", "contact"),
    ],
)
def test_a_related_record_outside_scope_is_refused(rep_client, rep, rep2, kind, field):
    theirs = (
        factories.ContactFactory(owner_user=rep2)
        if field in ("primary_contact", "contact")
        else factories.AccountFactory(owner_user=rep2)
    )
    body = {**_create_body(kind, rep), field: theirs.pk}
    before = snapshot()
    problem = _problem(_send(rep_client, "post", PATHS[kind], body), 400)
    assert field in problem["errors"]
    assert snapshot() == before


# --- partial update, ETag and If-Match ------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_patch_with_the_current_etag_saves_and_moves_the_version(rep_client, rep, kind):
    record = _make(kind, rep)
    field = EDITS[kind]
    response = _send(
        rep_client, "patch", _url(record), {field: "Renamed"}, if_match=_tag(record)
    )
    assert response.status_code == 200, response.json()
    saved = _reloaded(record)
    assert (getattr(saved, field), saved.version) == ("Renamed", record.version + 1)
    assert response["ETag"] == _tag(saved)
    assert response.json()["version"] == saved.version


@pytest.mark.parametrize("kind", KINDS)
def test_patch_without_if_match_is_428_and_saves_nothing(rep_client, rep, kind):
    record = _make(kind, rep)
    before = snapshot()
    body = _problem(_send(rep_client, "patch", _url(record), {EDITS[kind]: "x"}), 428)
    assert body["type"] == "urn:leadsite:problem:precondition-required"
    assert snapshot() == before


@pytest.mark.parametrize("kind", KINDS)
def test_patch_with_a_stale_etag_is_412_with_the_current_record(rep_client, rep, kind):
    record = _make(kind, rep)
    field = EDITS[kind]
    stale = _tag(record)
    assert (
        _send(
            rep_client, "patch", _url(record), {field: "First"}, if_match=stale
        ).status_code
        == 200
    )
    before = snapshot()
    response = _send(
        rep_client, "patch", _url(record), {field: "Second"}, if_match=stale
    )
    body = _problem(response, 412)
    assert body["type"] == "urn:leadsite:problem:edit-conflict"
    assert body["current"][field] == "First"
    assert response["ETag"] == _tag(_reloaded(record))
    assert snapshot() == before


@pytest.mark.parametrize("tag", ['W/"1"', "*", '"1", "2"', "junk", '"abc"'])
def test_an_if_match_that_is_not_one_etag_is_412(rep_client, rep, tag):
    account = factories.AccountFactory(owner_user=rep)
    before = snapshot()
    _problem(
        _send(rep_client, "patch", _url(account), {"name": "x"}, if_match=tag), 412
    )
    assert snapshot() == before


def test_patch_keeps_a_stored_relation_the_caller_cannot_pick(rep_client, rep, rep2):
    """Sending back what was read is never an error (the edit form's rule)."""
    parent = factories.AccountFactory(owner_user=rep2)
    account = factories.AccountFactory(owner_user=rep, parent_account=parent)
    read = rep_client.get(_url(account)).json()
    response = _send(
        rep_client,
        "patch",
        _url(account),
        {"parent_account": read["parent_account"], "name": "Kept"},
        if_match=_tag(account),
    )
    assert response.status_code == 200, response.json()
    assert _reloaded(account).parent_account == parent


def test_a_parent_cycle_is_refused_in_the_services_words(rep_client, rep):
    parent = factories.AccountFactory(owner_user=rep)
    child = factories.AccountFactory(owner_user=rep, parent_account=parent)
    before = snapshot()
    response = _send(
        rep_client,
        "patch",
        _url(parent),
        {"parent_account": child.pk},
        if_match=_tag(parent),
    )
    body = _problem(response, 400)
    assert body["errors"]["parent_account"] == [
        "An account cannot be its own parent or ancestor."
    ]
    assert snapshot() == before


def test_patch_of_a_closed_opportunity_is_409_with_the_page_sentence(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, won=True)
    before = snapshot()
    response = _send(
        rep_client,
        "patch",
        _url(opportunity),
        {"name": "x"},
        if_match=_tag(opportunity),
    )
    body = _problem(response, 409)
    assert body["detail"] == CLOSED_OPPORTUNITY_MESSAGE
    assert snapshot() == before


def test_an_api_edit_is_recorded_through_the_api(rep_client, rep):
    account = factories.AccountFactory(owner_user=rep, name="Before")
    _send(rep_client, "patch", _url(account), {"name": "After"}, if_match=_tag(account))
    change = next(c for c in field_changes(account) if c.new == "After")
    assert (change.old, change.who, change.through) == ("Before", rep, "API")


# --- the outcome: win, lose, reopen -----------------------------------------------------


@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_win_closes_the_opportunity_and_moves_its_version(request, client, rep, who):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    client.force_login(request.getfixturevalue(who))
    response = _send(
        client, "post", _url(opportunity, "win"), WIN, if_match=_tag(opportunity)
    )
    assert response.status_code == 200, response.json()
    won = _reloaded(opportunity)
    assert (won.state, won.status) == (OpportunityState.WON, OpportunityStatus.WON)
    assert won.actual_value == Decimal("4200.50")
    assert won.version == opportunity.version + 1
    body = response.json()
    assert (body["state"], body["state_label"], body["actual_value"]) == (
        1,
        "Won",
        "4200.50",
    )
    assert response["ETag"] == _tag(won)


def test_a_second_win_is_409_with_the_page_sentence(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    url = _url(opportunity, "win")
    first = _send(rep_client, "post", url, WIN, if_match=_tag(opportunity))
    before = snapshot()
    # The ETag read before the win is stale now: 412, with the won opportunity.
    stale = _send(rep_client, "post", url, WIN, if_match=_tag(opportunity))
    assert _problem(stale, 412)["current"]["state"] == OpportunityState.WON
    # With the current ETag the services refuse, in the page's words.
    again = _send(rep_client, "post", url, WIN, if_match=first["ETag"])
    assert (
        _problem(again, 409)["detail"] == "Cannot win this opportunity: it is won now."
    )
    lose = _send(
        rep_client, "post", _url(opportunity, "lose"), LOSE, if_match=first["ETag"]
    )
    assert (
        _problem(lose, 409)["detail"] == "Cannot lose this opportunity: it is won now."
    )
    assert snapshot() == before


def test_lose_records_the_reason_and_reopen_opens_again(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    response = _send(
        rep_client, "post", _url(opportunity, "lose"), LOSE, if_match=_tag(opportunity)
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == OpportunityStatus.OUT_SOLD
    assert response.json()["close_probability"] == 0
    response = _send(
        rep_client, "post", _url(opportunity, "reopen"), if_match=response["ETag"]
    )
    assert response.status_code == 200, response.json()
    reopened = _reloaded(opportunity)
    assert (reopened.state, reopened.actual_close_date) == (OpportunityState.OPEN, None)
    assert reopened.version == opportunity.version + 2
    again = _send(
        rep_client, "post", _url(opportunity, "reopen"), if_match=_tag(reopened)
    )
    assert _problem(again, 409)["detail"] == "This opportunity is already open."


@pytest.mark.parametrize("action", ["win", "lose", "reopen"])
def test_outcome_actions_need_if_match(rep_client, rep, action):
    opportunity = factories.OpportunityFactory(owner_user=rep, lost=action == "reopen")
    body = {"win": WIN, "lose": LOSE, "reopen": {}}[action]
    url = _url(opportunity, action)
    before = snapshot()
    _problem(_send(rep_client, "post", url, body), 428)
    problem = _problem(_send(rep_client, "post", url, body, if_match='"99"'), 412)
    assert problem["current"]["id"] == opportunity.pk
    assert snapshot() == before


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("win", {"actual_close_date": TODAY}, "actual_value"),
        ("win", {"actual_value": "-1", "actual_close_date": TODAY}, "actual_value"),
        ("win", {"actual_value": "1"}, "actual_close_date"),
        (
            "win",
            {"actual_value": "1", "actual_close_date": "2999-01-01"},
            "actual_close_date",
        ),
        ("lose", {}, "reason"),
        ("lose", {"reason": OpportunityStatus.WON.value}, "reason"),
    ],
)
def test_outcome_refuses_invalid_values(rep_client, rep, action, body, field):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    before = snapshot()
    response = _send(
        rep_client, "post", _url(opportunity, action), body, if_match=_tag(opportunity)
    )
    assert field in _problem(response, 400)["errors"]
    assert snapshot() == before


# --- product lines ----------------------------------------------------------------------


def test_product_lines_are_listed_added_and_removed(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    product = factories.ProductFactory(price=Decimal("250.00"))
    url = _url(opportunity, "products")
    response = _send(rep_client, "post", url, {"product": product.pk, "quantity": "3"})
    assert response.status_code == 201, response.json()
    line = OpportunityProduct.objects.get(opportunity=opportunity)
    body = response.json()
    assert (body["price_per_unit"], body["amount"]) == ("250.00", "750.00")
    assert response["Location"] == f"{url}/{line.pk}"
    assert response["ETag"] == f'"{body["version"]}"'
    listed = rep_client.get(url).json()
    assert [row["id"] for row in listed] == [line.pk]
    assert rep_client.get(f"{url}/{line.pk}")["ETag"] == response["ETag"]
    response = _send(
        rep_client, "delete", f"{url}/{line.pk}", if_match=response["ETag"]
    )
    assert response.status_code == 204
    assert not OpportunityProduct.objects.filter(pk=line.pk).exists()


def test_a_product_line_keeps_its_etag_while_others_change(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    line = factories.OpportunityProductFactory(opportunity=opportunity)
    url = _url(opportunity, f"products/{line.pk}")
    etag = rep_client.get(url)["ETag"]
    _send(
        rep_client,
        "patch",
        _url(opportunity),
        {"name": "x"},
        if_match=_tag(opportunity),
    )
    _send(
        rep_client,
        "post",
        _url(opportunity, "products"),
        {"product": factories.ProductFactory().pk},
    )
    assert rep_client.get(url)["ETag"] == etag


def test_removing_a_line_needs_its_etag(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    line = factories.OpportunityProductFactory(opportunity=opportunity)
    url = _url(opportunity, f"products/{line.pk}")
    before = snapshot()
    _problem(_send(rep_client, "delete", url), 428)
    response = _send(rep_client, "delete", url, if_match='"12"')
    assert _problem(response, 412)["current"]["id"] == line.pk
    assert response["ETag"] == f'"{line_version(line)}"'
    assert snapshot() == before


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("duplicate", "is already on this opportunity."),
        ("inactive", "object does not exist"),
    ],
)
def test_adding_a_line_the_page_refuses_is_a_400(rep_client, rep, setup, message):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    product = factories.ProductFactory(is_active=setup != "inactive")
    if setup == "duplicate":
        factories.OpportunityProductFactory(opportunity=opportunity, product=product)
    before = snapshot()
    response = _send(
        rep_client, "post", _url(opportunity, "products"), {"product": product.pk}
    )
    assert message in " ".join(_problem(response, 400)["errors"]["product"])
    assert snapshot() == before


def test_lines_of_a_closed_opportunity_are_409_with_the_page_sentence(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, won=True)
    line = factories.OpportunityProductFactory(opportunity=opportunity)
    product = factories.ProductFactory()
    before = snapshot()
    add = _send(
        rep_client, "post", _url(opportunity, "products"), {"product": product.pk}
    )
    assert _problem(add, 409)["detail"] == CLOSED_OPPORTUNITY_MESSAGE
    remove = _send(
        rep_client,
        "delete",
        _url(opportunity, f"products/{line.pk}"),
        if_match=f'"{line_version(line)}"',
    )
    assert _problem(remove, 409)["detail"] == CLOSED_OPPORTUNITY_MESSAGE
    assert snapshot() == before


# --- filters, pages and fields ---------------------------------------------------------


def test_lists_filter_with_the_page_filtersets(rep_client, rep):
    wanted = factories.AccountFactory(owner_user=rep, name="Openshaw Ltd", industry=7)
    factories.AccountFactory(owner_user=rep, name="Zed Inc")
    ids = lambda response: [row["id"] for row in response.json()["results"]]  # noqa: E731
    assert ids(rep_client.get(PATHS["account"], {"q": "openshaw"})) == [wanted.pk]
    assert ids(rep_client.get(PATHS["account"], {"industry": 7})) == [wanted.pk]
    contact = factories.ContactFactory(owner_user=rep, account=wanted)
    factories.ContactFactory(owner_user=rep)
    assert ids(rep_client.get(PATHS["contact"], {"account": wanted.pk})) == [contact.pk]


def test_the_opportunity_list_shows_every_state_unless_filtered(rep_client, rep):
    open_ = factories.OpportunityFactory(owner_user=rep)
    won = factories.OpportunityFactory(owner_user=rep, won=True)
    path = PATHS["opportunity"]
    all_ids = {row["id"] for row in rep_client.get(path).json()["results"]}
    assert all_ids == {open_.pk, won.pk}
    won_ids = [
        row["id"] for row in rep_client.get(path, {"state": 1}).json()["results"]
    ]
    assert won_ids == [won.pk]


@pytest.mark.parametrize(
    ("kind", "params", "name"),
    [
        ("account", {"industry": "junk"}, "industry"),
        ("contact", {"account": "99999999999999999999"}, "account"),
        ("opportunity", {"state": "7"}, "state"),
        ("opportunity", {"close_after": "1800-01-01"}, "close_after"),
        ("account", {"ordering": "password"}, "ordering"),
        ("account", {"cursor": "junk"}, "cursor"),
        ("account", {"fields": "id,owner_user__password"}, "fields"),
    ],
)
def test_a_value_a_list_cannot_use_is_a_400_naming_it(rep_client, kind, params, name):
    body = _problem(rep_client.get(PATHS[kind], params), 400)
    assert name in body["errors"]


def _walk(client, url):
    """Every page from `url` on, following `next`; the rows' ids and the links."""
    pages = []
    while url:
        body = client.get(url).json()
        pages.append(body)
        url = body["next"]
    return pages


@pytest.mark.parametrize(
    ("kind", "ordering", "key"),
    [
        ("account", "name", lambda r: (r.name, r.pk)),
        ("account", "-name", lambda r: (r.name, r.pk)),
        ("contact", "last_name", lambda r: (r.last_name, r.first_name, r.pk)),
        ("opportunity", "-created_at", lambda r: (r.created_at, r.pk)),
        ("opportunity", "id", lambda r: r.pk),
    ],
)
def test_cursor_pages_cover_every_row_once_in_order(
    rep_client, rep, kind, ordering, key
):
    """Rows sharing a sort value (seven "Same") page like any others."""
    same = {
        "account": {"name": "Same"},
        "contact": {"last_name": "Same", "first_name": "A"},
        "opportunity": {"created_at": timezone.now()},
    }[kind]
    for _ in range(7):
        _make(kind, rep, **same)
    # Plain ASCII names: every database collation sorts them as Python does.
    for name in ("Able", "Zulu", "Moss"):
        other = {
            "account": {"name": name},
            "contact": {"last_name": name, "first_name": "B"},
            "opportunity": {"name": name},
        }[kind]
        _make(kind, rep, **other)
    pages = _walk(rep_client, f"{PATHS[kind]}?page_size=3&ordering={ordering}")
    seen = [row["id"] for page in pages for row in page["results"]]
    rows = MODELS[kind].objects.all()
    expected = sorted(rows, key=key, reverse=ordering.startswith("-"))
    assert seen == [row.pk for row in expected]
    assert [len(page["results"]) for page in pages] == [3, 3, 3, 1]
    assert pages[0]["previous"] is None
    # Back from the last page: the same pages, in reverse.
    back, url = [], pages[-1]["previous"]
    while url:
        body = rep_client.get(url).json()
        back.append([row["id"] for row in body["results"]])
        url = body["previous"]
    assert back == [[row["id"] for row in p["results"]] for p in pages[-2::-1]]


def test_a_cursor_of_another_ordering_is_refused(rep_client, rep):
    factories.AccountFactory.create_batch(3, owner_user=rep)
    next_url = rep_client.get(PATHS["account"], {"page_size": 1}).json()["next"]
    cursor = next_url.split("cursor=")[1].split("&")[0]
    response = rep_client.get(PATHS["account"], {"cursor": cursor, "ordering": "-id"})
    assert "cursor" in _problem(response, 400)["errors"]


@pytest.mark.parametrize("kind", KINDS)
def test_fields_returns_only_those(rep_client, rep, kind):
    record = _make(kind, rep)
    row = rep_client.get(PATHS[kind], {"fields": "id,version"}).json()["results"][0]
    assert row == {"id": record.pk, "version": record.version}
    assert set(rep_client.get(_url(record), {"fields": "owner_name"}).json()) == {
        "owner_name"
    }


def test_fields_on_product_lines(rep_client, rep):
    line = factories.OpportunityProductFactory(
        opportunity=factories.OpportunityFactory(owner_user=rep)
    )
    url = _url(line.opportunity, "products")
    assert rep_client.get(url, {"fields": "id,amount"}).json() == [
        {"id": line.pk, "amount": "100.00"}
    ]


def _rows(kind, owner, count):
    if kind == "line":
        opportunity = Opportunity.objects.filter(owner_user=owner).first()
        opportunity = opportunity or factories.OpportunityFactory(owner_user=owner)
        for _ in range(count):
            factories.OpportunityProductFactory(opportunity=opportunity)
        return _url(opportunity, "products"), None
    for _ in range(count):
        _make(kind, owner)
    return PATHS[kind], "results"


@pytest.mark.parametrize("kind", [*KINDS, "line"])
def test_list_queries_do_not_grow_with_the_page(
    rep_client, rep, django_assert_max_num_queries, kind
):
    url, key = _rows(kind, rep, 5)
    with django_assert_max_num_queries(8) as small:
        body = rep_client.get(url, {"page_size": 5}).json()
        assert len(body[key] if key else body) == 5
    _rows(kind, rep, 45)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = rep_client.get(url, {"page_size": 50}).json()
        assert len(body[key] if key else body) == 50


# --- what the code promises its neighbours ---------------------------------------------


def test_every_accounts_api_view_puts_the_api_login_mixin_first():
    """Idempotency and login handling live there; it must come before DRF's view."""
    resolver = get_resolver()
    checked = 0
    for pattern in resolver.url_patterns:
        if getattr(pattern, "namespace", None) != "api":
            continue
        for inner in pattern.url_patterns:
            for view_pattern in getattr(inner, "url_patterns", [inner]):
                cls = getattr(view_pattern.callback, "cls", None)
                if cls is None or not cls.__module__.startswith("accounts.api"):
                    continue
                mro = cls.__mro__
                assert mro.index(ApiLoginMixin) < mro.index(APIView), cls
                checked += 1
    assert checked >= 8
    assert OpportunityProductViewSet.__mro__.index(ApiLoginMixin) == 1


def test_the_opportunity_serializer_works_without_a_request(rep):
    """The webhooks render opportunity.won/lost payloads with it."""
    opportunity = factories.OpportunityFactory(owner_user=rep, won=True)
    data = OpportunitySerializer(opportunity).data
    assert (data["id"], data["state_label"], data["status"]) == (
        opportunity.pk,
        "Won",
        OpportunityStatus.WON,
    )
