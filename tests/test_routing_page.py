"""The routing page: ordered rules, the unassigned queue and the assignment log."""

import pytest

from leads.models import AssignmentReason, LeadSource
from tests import factories

URL = "/routing/"


@pytest.fixture
def teams(org, rep, rep2):
    north = factories.TeamFactory(
        name="North Sales", business_unit=org.north, members=[rep]
    )
    south = factories.TeamFactory(
        name="South Sales", business_unit=org.south, members=[rep2]
    )
    return type("Teams", (), {"north": north, "south": south})


def test_rules_listed_in_order_with_conditions_and_target(rep_client, rep, teams):
    factories.RoutingRuleFactory(
        name="Big deals",
        order=30,
        target_user=rep,
        conditions=[{"field": "estimated_value", "op": "gte", "value": "50000"}],
    )
    factories.RoutingRuleFactory(
        name="Web leads",
        order=10,
        target_user=None,
        target_team=teams.north,
        conditions=[
            {"field": "source", "op": "equals", "value": int(LeadSource.WEB)},
            {"field": "country", "op": "equals", "value": "Germany"},
        ],
    )
    factories.RoutingRuleFactory(
        name="Catch all", order=90, target_user=rep, is_active=False
    )
    response = rep_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Web leads") < html.index("Big deals") < html.index("Catch all")
    assert "source is Web; country is Germany" in html
    assert "est. value ≥ 50,000.00" in html
    assert "North Sales" in html and "round robin" in html
    assert "Inactive" in html


def test_unassigned_queue_shows_open_team_leads_in_scope(rep_client, rep, teams):
    waiting = factories.LeadFactory(
        owner_user=None, owner_team=teams.north, last_name="Waiting"
    )
    factories.LeadFactory(
        owner_user=None, owner_team=teams.north, last_name="Closedone", qualified=True
    )
    factories.LeadFactory(owner_user=rep, last_name="Personal")
    factories.LeadFactory(owner_user=None, owner_team=teams.south, last_name="Southern")
    response = rep_client.get(URL)
    queue = list(response.context["queue"])
    assert queue == [waiting]
    assert response.context["queue_count"] == 1
    html = response.content.decode()
    assert "Waiting" in html and "Southern" not in html


def test_manager_queue_covers_the_business_unit(manager_client, teams, org):
    other_team = factories.TeamFactory(name="North Key", business_unit=org.north)
    a = factories.LeadFactory(owner_user=None, owner_team=teams.north)
    b = factories.LeadFactory(owner_user=None, owner_team=other_team)
    factories.LeadFactory(owner_user=None, owner_team=teams.south)
    response = manager_client.get(URL)
    assert set(response.context["queue"]) == {a, b}


def test_assignment_log_in_scope_latest_first(rep_client, rep, rep2):
    mine_old = factories.LeadAssignmentFactory(lead__owner_user=rep, assigned_user=rep)
    rule = factories.RoutingRuleFactory(name="Web to rep", target_user=rep)
    mine_new = factories.LeadAssignmentFactory(
        lead__owner_user=rep,
        assigned_user=rep,
        rule=rule,
        reason=AssignmentReason.MATCHED,
        detail="matched rule Web to rep",
    )
    factories.LeadAssignmentFactory(lead__owner_user=rep2, assigned_user=rep2)
    response = rep_client.get(URL)
    assert list(response.context["assignments"]) == [mine_new, mine_old]
    assert "matched rule Web to rep" in response.content.decode()


def test_assignment_log_keeps_the_latest_fifty(admin_client_, administrator):
    lead = factories.LeadFactory(owner_user=administrator)
    for _ in range(55):
        factories.LeadAssignmentFactory(lead=lead, assigned_user=administrator)
    response = admin_client_.get(URL)
    assert len(response.context["assignments"]) == 50


def test_routing_page_queries_do_not_grow_with_rows(
    admin_client_, administrator, teams, django_assert_max_num_queries
):
    for _ in range(20):
        factories.RoutingRuleFactory(target_user=None, target_team=teams.north)
        lead = factories.LeadFactory(owner_user=None, owner_team=teams.south)
        factories.LeadAssignmentFactory(
            lead=lead, assigned_user=None, assigned_team=teams.south
        )
    with django_assert_max_num_queries(10):
        response = admin_client_.get(URL)
    assert response.status_code == 200


def test_empty_routing_page_explains_itself(rep_client):
    html = rep_client.get(URL).content.decode()
    assert "No routing rules yet" in html
    assert "Nothing waiting" in html
