"""Routing through the REST API: rules read by everyone and changed as on the
routing pages (managers within their units, administrators all, reps never), and
the assignment log through the gate."""

import datetime
import json

import pytest
from django.utils import timezone

from accounts.models import ApiToken, TokenScope
from accounts.services.tokens import create_api_token, revoke_api_token
from leads.models import AssignmentReason, LeadAssignment, RoutingRule
from tests import factories
from tests.support import snapshot

RULES = "/api/routing-rules"
LOG = "/api/assignments"


def _rule_url(rule, action=""):
    return f"{RULES}/{rule.pk}" + (f"/{action}" if action else "")


def _send(client, method, url, data=None, **headers):
    return getattr(client, method)(
        url, json.dumps(data or {}), content_type="application/json", headers=headers
    )


def _match(rule) -> dict:
    """If-Match with the rule's ETag as stored now."""
    rule.refresh_from_db()
    return {"If-Match": f'"{rule.version}"'}


def _rows():
    """Every app row but the tokens' (a token records when it was last used)."""
    rows = snapshot()
    rows.pop("accounts.ApiToken")
    return rows


@pytest.fixture
def rules(org, rep, rep2, administrator):
    return {
        "north": factories.RoutingRuleFactory(
            name="North web", business_unit=org.north, target_user=rep, order=10
        ),
        "north2": factories.RoutingRuleFactory(
            name="North partner", business_unit=org.north, target_user=rep, order=20
        ),
        "south": factories.RoutingRuleFactory(
            name="South web", business_unit=org.south, target_user=rep2
        ),
        "organisation": factories.RoutingRuleFactory(
            name="Everyone", target_user=administrator
        ),
    }


# --- reading the rules -------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "editable"),
    [
        ("rep", set()),
        ("manager", {"North web", "North partner"}),
        ("administrator", {"North web", "North partner", "South web", "Everyone"}),
    ],
)
def test_every_role_reads_every_rule_and_whether_it_may_change_it(
    request, client, rules, who, editable
):
    client.force_login(request.getfixturevalue(who))
    rows = client.get(RULES).json()["results"]
    assert {row["name"] for row in rows} == {
        "North web",
        "North partner",
        "South web",
        "Everyone",
    }
    assert {row["name"] for row in rows if row["can_edit"]} == editable
    south = client.get(_rule_url(rules["south"])).json()
    assert (south["level"], south["business_unit"]) == (
        "unit",
        rules["south"].business_unit_id,
    )
    assert south["conditions"] == []


def test_a_rule_reads_its_conditions(rep_client, org, rep):
    rule = factories.RoutingRuleFactory(
        business_unit=org.north,
        target_user=rep,
        conditions=[{"field": "source", "op": "in", "value": [1, 8]}],
    )
    body = rep_client.get(_rule_url(rule)).json()
    assert body["conditions"] == [{"field": "source", "op": "in", "value": [1, 8]}]


# --- creating ------------------------------------------------------------------------


def test_a_manager_creates_a_rule_of_their_unit(manager_client, org, rep):
    body = {
        "name": "Web leads to Rep",
        "business_unit": org.north.pk,
        "target_user": rep.pk,
        "conditions": [{"field": "source", "op": "equals", "value": 8}],
        "reroute_after_hours": 4,
    }
    response = _send(manager_client, "post", RULES, body)
    assert response.status_code == 201, response.json()
    rule = RoutingRule.objects.get(pk=response.json()["id"])
    assert response["Location"] == _rule_url(rule)
    assert (rule.name, rule.business_unit, rule.target_user) == (
        "Web leads to Rep",
        org.north,
        rep,
    )
    assert rule.conditions == [{"field": "source", "op": "equals", "value": 8}]
    assert (rule.order, rule.is_active, rule.reroute_after_hours) == (100, True, 4)
    assert response.json()["can_edit"] is True


def test_an_administrator_creates_an_organisation_rule(admin_client_, rep):
    response = _send(
        admin_client_, "post", RULES, {"name": "All", "target_user": rep.pk}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["level"] == "organisation"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"name": "Org", "target_user": "REP"},
            "business_unit",
            "Choose your business unit (or a channel partner): organisation rules "
            "are for administrators.",
        ),
        (
            {"name": "South", "business_unit": "SOUTH", "target_user": "REP"},
            "business_unit",
            None,
        ),
        (
            {"name": "To rep2", "business_unit": "NORTH", "target_user": "REP2"},
            "target_user",
            None,
        ),
        (
            {"name": "Nobody", "business_unit": "NORTH"},
            "target_user",
            "Assign to a user or to a team: choose exactly one.",
        ),
        (
            {
                "name": "Bad op",
                "business_unit": "NORTH",
                "target_user": "REP",
                "conditions": [{"field": "employees", "op": "contains", "value": "5"}],
            },
            "conditions.0",
            "For employees the operator is one of: is, ≥, ≤, is empty.",
        ),
        ({"business_unit": "NORTH", "target_user": "REP"}, "name", None),
    ],
)
def test_a_rule_the_page_refuses_is_a_400(
    manager_client, org, rep, rep2, body, field, message
):
    values = {
        "REP": rep.pk,
        "REP2": rep2.pk,
        "NORTH": org.north.pk,
        "SOUTH": org.south.pk,
    }
    body = {k: values.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    before = snapshot()
    response = _send(manager_client, "post", RULES, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors, errors
    if message:
        assert errors[field] == [message]
    assert snapshot() == before


def test_a_rep_may_not_create_a_rule(rep_client, org, rep):
    before = snapshot()
    body = {"name": "Mine", "business_unit": org.north.pk, "target_user": rep.pk}
    response = _send(rep_client, "post", RULES, body)
    assert response.status_code == 404
    assert (
        response.json()["detail"] == "Only managers and administrators change routing."
    )
    assert snapshot() == before


# --- changing -----------------------------------------------------------------------


def test_a_manager_changes_a_rule_of_their_unit(manager_client, rules, rep):
    rule = rules["north"]
    response = _send(
        manager_client,
        "patch",
        _rule_url(rule),
        {
            "name": "Renamed",
            "conditions": [{"field": "country", "op": "equals", "value": "NL"}],
        },
        **_match(rule),
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    assert response.json()["version"] == 2
    rule.refresh_from_db()
    assert (rule.name, rule.target_user, rule.order) == ("Renamed", rep, 10)
    assert rule.conditions == [{"field": "country", "op": "equals", "value": "NL"}]


def test_is_active_alone_switches_a_rule_off_and_on(manager_client, rules):
    rule = rules["north"]
    response = _send(
        manager_client, "patch", _rule_url(rule), {"is_active": False}, **_match(rule)
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response["ETag"] == '"2"'
    assert not RoutingRule.objects.get(pk=rule.pk).is_active
    response = _send(
        manager_client, "patch", _rule_url(rule), {"is_active": True}, **_match(rule)
    )
    assert response["ETag"] == '"3"'
    assert RoutingRule.objects.get(pk=rule.pk).is_active


def test_an_empty_patch_is_a_400(manager_client, rules):
    rule = rules["north"]
    response = _send(manager_client, "patch", _rule_url(rule), {}, **_match(rule))
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("who", "rule"),
    [("rep", "north"), ("manager", "south"), ("manager", "organisation")],
)
def test_a_rule_you_may_not_change_is_404_on_every_write(
    request, client, rules, who, rule
):
    client.force_login(request.getfixturevalue(who))
    rule = rules[rule]
    before = snapshot()
    assert client.get(_rule_url(rule)).status_code == 200  # read by everyone
    for method, url, body in [
        ("patch", _rule_url(rule), {"name": "Tampered"}),
        ("patch", _rule_url(rule), {"is_active": False}),
        ("post", _rule_url(rule, "move"), {"direction": "down"}),
    ]:
        response = _send(client, method, url, body)
        assert response.status_code == 404, (method, url)
        assert response["Content-Type"] == "application/problem+json"
    assert snapshot() == before


def test_a_manager_may_not_move_a_rule_out_of_their_units(manager_client, rules, org):
    before = snapshot()
    response = _send(
        manager_client,
        "patch",
        _rule_url(rules["north"]),
        {"business_unit": org.south.pk},
        **_match(rules["north"]),
    )
    assert response.status_code == 400
    assert "business_unit" in response.json()["errors"]
    assert snapshot() == before


def test_rules_are_never_deleted(admin_client_, rules):
    before = snapshot()
    assert admin_client_.delete(_rule_url(rules["north"])).status_code == 405
    assert (
        _send(
            admin_client_, "put", _rule_url(rules["north"]), {"name": "x"}
        ).status_code
        == 405
    )
    assert snapshot() == before


def test_move_swaps_a_rule_with_its_neighbour(manager_client, rules):
    north, north2 = rules["north"], rules["north2"]
    response = _send(
        manager_client,
        "post",
        _rule_url(north2, "move"),
        {"direction": "up"},
        **_match(north2),
    )
    assert response.status_code == 200, response.json()
    assert response.json()["order"] == 10
    # Both rules changed their order: each has a new version.
    assert response["ETag"] == '"2"'
    assert RoutingRule.objects.get(pk=north.pk).order == 20
    assert RoutingRule.objects.get(pk=north.pk).version == 2
    response = _send(
        manager_client,
        "post",
        _rule_url(north2, "move"),
        {"direction": "sideways"},
        **_match(north2),
    )
    assert response.status_code == 400


# --- versions: ETag and If-Match -----------------------------------------------------


def test_a_rule_is_read_with_its_version_as_etag(rep_client, rules):
    response = rep_client.get(_rule_url(rules["north"]))
    assert response["ETag"] == '"1"'
    assert response.json()["version"] == 1
    listed = rep_client.get(RULES).json()["results"]
    assert {row["version"] for row in listed} == {1}


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("patch", "", {"name": "Mine"}),
        ("patch", "", {"is_active": False}),
        ("post", "move", {"direction": "down"}),
    ],
)
def test_a_write_without_if_match_is_428_and_changes_nothing(
    manager_client, rules, method, action, body
):
    before = snapshot()
    response = _send(manager_client, method, _rule_url(rules["north"], action), body)
    assert response.status_code == 428
    assert response["Content-Type"] == "application/problem+json"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("patch", "", {"name": "Mine"}),
        ("patch", "", {"is_active": False}),
        ("post", "move", {"direction": "down"}),
    ],
)
def test_a_stale_if_match_is_412_with_the_rule_as_stored_now(
    manager_client, rules, method, action, body
):
    rule = rules["north"]
    read = manager_client.get(_rule_url(rule))["ETag"]
    # Another manager renames the rule meanwhile.
    theirs = _send(
        manager_client,
        "patch",
        _rule_url(rule),
        {"name": "Theirs"},
        **{"If-Match": read},
    )
    assert theirs.status_code == 200
    before = snapshot()
    response = _send(
        manager_client, method, _rule_url(rule, action), body, **{"If-Match": read}
    )
    assert response.status_code == 412
    assert response["ETag"] == '"2"'
    assert response.json()["current"]["name"] == "Theirs"
    assert response.json()["current"]["version"] == 2
    assert snapshot() == before
    # Retried with the ETag it was given, the write applies.
    response = _send(
        manager_client, method, _rule_url(rule, action), body, **{"If-Match": '"2"'}
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"3"'


def test_a_patch_that_changes_nothing_keeps_the_version(manager_client, rules):
    rule = rules["north"]
    response = _send(
        manager_client, "patch", _rule_url(rule), {"name": rule.name}, **_match(rule)
    )
    assert response.status_code == 200
    assert response["ETag"] == '"1"'


# --- tokens and anonymous --------------------------------------------------------------


def test_anonymous_revoked_and_expired_are_401(client, manager, rules):
    revoked, revoked_key = create_api_token(user=manager, name="x", by=manager)
    revoke_api_token(token=revoked, by=manager)
    expired, expired_key = create_api_token(user=manager, name="e", by=manager)
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    rule = rules["north"]
    calls = [
        ("get", RULES, None),
        ("get", _rule_url(rule), None),
        ("get", LOG, None),
        ("post", RULES, {"name": "x"}),
        ("patch", _rule_url(rule), {"name": "x"}),
        ("post", _rule_url(rule, "move"), {"direction": "up"}),
    ]
    before = _rows()
    for headers in (
        {},
        {"authorization": f"Bearer {revoked_key}"},
        {"authorization": f"Bearer {expired_key}"},
    ):
        for method, url, body in calls:
            if method == "get":
                response = client.get(url, headers=headers)
            else:
                response = _send(client, method, url, body, **headers)
            assert response.status_code == 401, (headers, method, url)
    assert _rows() == before


def test_a_read_only_token_reads_but_may_not_write(client, manager, rules, org, rep):
    _token, key = create_api_token(user=manager, name="r", by=manager)
    headers = {"authorization": f"Bearer {key}"}
    assert client.get(RULES, headers=headers).status_code == 200
    assert client.get(LOG, headers=headers).status_code == 200
    before = _rows()
    body = {"name": "x", "business_unit": org.north.pk, "target_user": rep.pk}
    assert _send(client, "post", RULES, body, **headers).status_code == 403
    rule = rules["north"]
    assert (
        _send(client, "patch", _rule_url(rule), {"name": "x"}, **headers).status_code
        == 403
    )
    response = _send(
        client, "post", _rule_url(rule, "move"), {"direction": "up"}, **headers
    )
    assert response.status_code == 403
    assert _rows() == before
    _token, key = create_api_token(
        user=manager, name="w", scope=TokenScope.READ_WRITE, by=manager
    )
    response = _send(client, "post", RULES, body, authorization=f"Bearer {key}")
    assert response.status_code == 201


def test_rule_list_query_count_does_not_grow(
    admin_client_, org, rep, django_assert_max_num_queries
):
    factories.RoutingRuleFactory.create_batch(
        2, business_unit=org.north, target_user=rep
    )
    with django_assert_max_num_queries(8) as few:
        assert len(admin_client_.get(RULES).json()["results"]) == 2
    factories.RoutingRuleFactory.create_batch(
        30, business_unit=org.north, target_user=rep
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(admin_client_.get(RULES).json()["results"]) == 32


# --- the assignment log --------------------------------------------------------------


@pytest.fixture
def log(rep, rep2, org, rules):
    north_rep = factories.UserFactory(business_unit=org.north)
    mine = factories.LeadFactory(owner_user=rep)
    entries = {
        "mine": factories.LeadAssignmentFactory(
            lead=mine,
            assigned_user=rep,
            rule=rules["north"],
            reason=AssignmentReason.MATCHED,
        ),
        "mine_manual": factories.LeadAssignmentFactory(lead=mine, assigned_user=rep),
        "north": factories.LeadAssignmentFactory(
            lead=factories.LeadFactory(owner_user=north_rep), assigned_user=north_rep
        ),
        "south": factories.LeadAssignmentFactory(
            lead=factories.LeadFactory(owner_user=rep2), assigned_user=rep2
        ),
    }
    return entries


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        ("rep", ["mine_manual", "mine"]),
        ("manager", ["north", "mine_manual", "mine"]),
        ("administrator", ["south", "north", "mine_manual", "mine"]),
    ],
)
def test_the_log_shows_the_leads_in_scope_newest_first(request, client, log, who, seen):
    client.force_login(request.getfixturevalue(who))
    rows = client.get(LOG).json()["results"]
    assert [row["id"] for row in rows] == [log[name].pk for name in seen]


def test_a_log_row_says_who_got_the_lead_and_why(rep_client, log, rep):
    entry = log["mine"]
    row = next(r for r in rep_client.get(LOG).json()["results"] if r["id"] == entry.pk)
    assert row["lead"] == entry.lead_id
    assert row["lead_name"] == str(entry.lead)
    assert (row["rule"], row["rule_name"]) == (entry.rule_id, "North web")
    assert (row["assigned_user"], row["assigned_user_name"]) == (rep.pk, str(rep))
    assert (row["reason"], row["reason_label"]) == ("matched", "Matched rule")
    assert row["assigned_team"] is None and row["assigned_team_name"] is None


def test_the_log_takes_the_page_filters(admin_client_, log, rules):
    rows = admin_client_.get(LOG, {"reason": "matched"}).json()["results"]
    assert [row["id"] for row in rows] == [log["mine"].pk]
    rows = admin_client_.get(LOG, {"rule": rules["north"].pk}).json()["results"]
    assert [row["id"] for row in rows] == [log["mine"].pk]
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert admin_client_.get(LOG, {"date_from": tomorrow}).json()["results"] == []
    for bad in ({"reason": "bribed"}, {"date_to": "yesterday"}, {"rule": "999999"}):
        response = admin_client_.get(LOG, bad)
        assert response.status_code == 400
        assert set(bad) <= set(response.json()["errors"])


def test_a_rep_filters_the_log_by_themselves_only(rep_client, log, rep2):
    response = rep_client.get(LOG, {"assignee": rep2.pk})
    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]


def test_log_cursor_pages_and_query_count(
    admin_client_, rep, django_assert_max_num_queries
):
    lead = factories.LeadFactory(owner_user=rep)
    factories.LeadAssignmentFactory.create_batch(3, lead=lead, assigned_user=rep)
    with django_assert_max_num_queries(8) as few:
        assert len(admin_client_.get(LOG).json()["results"]) == 3
    factories.LeadAssignmentFactory.create_batch(
        30,
        lead=lead,
        assigned_user=rep,
        rule=factories.RoutingRuleFactory(target_user=rep),
        by=rep,
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(admin_client_.get(LOG).json()["results"]) == 33
    seen, url = [], LOG + "?page_size=7"
    while url:
        body = admin_client_.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == sorted(
        LeadAssignment.objects.values_list("pk", flat=True), reverse=True
    )
