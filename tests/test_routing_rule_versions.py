"""Two people editing one routing rule never overwrite each other: the rule page
and the admin carry the version a rule was loaded at, and a save based on an older
one is refused beside the form with the user's values kept (the API's If-Match is
in test_api_routing)."""

import json

import pytest
from django.urls import reverse

from leads.forms.routing import condition_initial
from leads.models import RoutingRule
from leads.services.routing import (
    move_routing_rule,
    save_routing_rule,
    set_routing_rule_active,
)
from leadsite.core.versioning import EditConflict
from tests import factories
from tests.support import browser_post_data, change_form_data, snapshot
from tests.test_routing_views import rule_data, with_conditions

pytestmark = pytest.mark.django_db

CONFLICT = "changed while you were editing"
NL = {"field": "country", "op": "equals", "value": "NL"}
DE = {"field": "country", "op": "equals", "value": "DE"}


@pytest.fixture
def rule(org, rep):
    return factories.RoutingRuleFactory(
        name="Dutch web",
        business_unit=org.north,
        target_user=rep,
        order=10,
        conditions=[NL],
    )


def _edit_url(rule):
    return reverse("leads:routing-rule-edit", args=[rule.pk])


def _open(client, rule, country="NL"):
    """What the browser posts back for the rule page as loaded (one condition)."""
    page = client.get(_edit_url(rule))
    assert page.status_code == 200
    data = browser_post_data(page.content.decode(), page.context["form"])
    base = rule_data(
        name=data["name"],
        order=str(data["order"]),
        business_unit=str(data["business_unit"]),
        target_user=str(data["target_user"]),
    )
    row = {"field": "country", "op": "equals", "value": country}
    return {**data, **with_conditions(base, row), "save": "1"}


def _theirs(rule, by, **fields):
    """Another manager's save, made while the page was open."""
    fields.setdefault("conditions", rule.conditions)
    return save_routing_rule(by=by, rule=rule, expected_version=rule.version, **fields)


def test_a_stale_page_save_is_refused_beside_the_form(manager_client, manager, rule):
    data = _open(manager_client, rule)
    _theirs(rule, manager, name="Theirs")
    data["reroute_after_hours"] = "4"
    before = snapshot()
    response = manager_client.post(_edit_url(rule), data)
    assert response.status_code == 200
    assert CONFLICT in response.content.decode()
    assert snapshot() == before  # nothing overwritten
    form = response.context["form"]
    # Their name merged in, the user's hours kept, the form re-armed at version 2.
    assert (form["name"].value(), form["reroute_after_hours"].value()) == (
        "Theirs",
        "4",
    )
    assert form["version"].value() == "2"
    assert [row[0] for row in response.context["conflict_rows"]] == ["Name"]
    # Saving the form as shown applies both changes.
    again = browser_post_data(response.content.decode(), form)
    response = manager_client.post(_edit_url(rule), {**data, **again})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.reroute_after_hours, rule.version) == ("Theirs", 4, 3)


def test_conditions_changed_meanwhile_are_merged_like_a_field(
    manager_client, manager, rule
):
    """The other person changed the conditions, the user only the name: the form
    comes back with their conditions and the user's name."""
    data = _open(manager_client, rule)
    _theirs(rule, manager, conditions=[DE])
    data["name"] = "Mine"
    response = manager_client.post(_edit_url(rule), data)
    assert CONFLICT in response.content.decode()
    rows = dict((row[0], row[2]) for row in response.context["conflict_rows"])
    assert "Conditions" in rows and rows["Conditions"] is None
    assert response.context["formset"].initial == condition_initial([DE])
    assert response.context["form"]["name"].value() == "Mine"
    rule.refresh_from_db()
    assert (rule.name, rule.conditions) == ("Dutch web", [DE])


def test_both_changed_the_conditions_keeps_the_users_and_shows_both(
    manager_client, manager, rule
):
    data = _open(manager_client, rule, country="BE")
    _theirs(rule, manager, conditions=[DE])
    response = manager_client.post(_edit_url(rule), data)
    assert CONFLICT in response.content.decode()
    rows = {row[0]: row[1:] for row in response.context["conflict_rows"]}
    assert rows["Conditions"] == ("country is DE", "country is BE")
    assert response.context["formset"].is_bound  # the user's rows, as posted
    rule.refresh_from_db()
    assert rule.conditions == [DE]


def test_a_page_save_without_its_version_overwrites_nothing(
    manager_client, manager, rule
):
    data = _open(manager_client, rule)
    data.pop("version")
    data["name"] = "Blind overwrite"
    response = manager_client.post(_edit_url(rule), data)
    assert CONFLICT in response.content.decode()
    rule.refresh_from_db()
    assert (rule.name, rule.version) == ("Dutch web", 1)


def test_a_fresh_page_save_raises_the_version_once(manager_client, rule):
    data = _open(manager_client, rule)
    data["name"] = "Renamed"
    assert manager_client.post(_edit_url(rule), data).status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.version) == ("Renamed", 2)
    # Saving the page unchanged writes nothing, so the version stays.
    data = _open(manager_client, rule)
    assert manager_client.post(_edit_url(rule), data).status_code == 302
    rule.refresh_from_db()
    assert rule.version == 2


def test_toggle_and_move_raise_the_version_of_each_rule_they_change(
    manager_client, org, rep, rule
):
    second = factories.RoutingRuleFactory(
        name="Second", business_unit=org.north, target_user=rep, order=20
    )
    manager_client.post(reverse("leads:routing-rule-toggle", args=[rule.pk]))
    manager_client.post(
        reverse("leads:routing-rule-move", args=[second.pk]), {"direction": "up"}
    )
    versions = dict(RoutingRule.objects.values_list("name", "version"))
    # The toggle, then the move that renumbered both.
    assert versions == {"Dutch web": 3, "Second": 2}


def test_services_refuse_a_stale_version(manager, rule):
    _theirs(rule, manager, name="Theirs")
    for write in (
        lambda: save_routing_rule(
            by=manager, rule=rule, conditions=[], expected_version=1, name="Mine"
        ),
        lambda: set_routing_rule_active(
            rule=rule, by=manager, active=False, expected_version=1
        ),
        lambda: move_routing_rule(rule=rule, by=manager, up=False, expected_version=1),
    ):
        with pytest.raises(EditConflict):
            write()
    rule.refresh_from_db()
    assert (rule.name, rule.is_active, rule.version) == ("Theirs", True, 2)


# --- the admin ----------------------------------------------------------------------


def _admin_data(client, rule):
    url = reverse("admin:leads_routingrule_change", args=[rule.pk])
    _page, data = change_form_data(client, url)
    data["conditions"] = json.dumps(rule.conditions)
    return url, data


def test_the_admin_change_form_carries_the_version(admin_client_, rule):
    url, data = _admin_data(admin_client_, rule)
    assert data["version"] == 1
    data["name"] = "Admin's name"
    response = admin_client_.post(url, data)
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.version) == ("Admin's name", 2)


def test_a_stale_admin_save_is_refused(admin_client_, manager, rule):
    url, data = _admin_data(admin_client_, rule)
    _theirs(rule, manager, name="Theirs")
    data["reroute_after_hours"] = "6"
    response = admin_client_.post(url, data)
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    rule.refresh_from_db()
    assert (rule.name, rule.reroute_after_hours, rule.version) == ("Theirs", None, 2)
