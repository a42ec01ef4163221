"""The routing pages: ordered rules (with the counts of the other tabs), the
unassigned queue and the assignment log, each paginated and scoped."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.models import AssignmentReason, LeadSource
from leads.selectors.routing import pages as routing_selectors
from tests import factories

URL = "/routing/"
QUEUE = "/routing/queue/"
LOG = "/routing/log/"


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


def test_routing_page_shows_counts_and_links_not_the_queue_and_log_tables(
    rep_client, rep, teams
):
    """The queue and the log are tabs of their own; the routing page
    says how many rows each holds and links to them."""
    factories.RoutingRuleFactory(name="Web leads", target_user=rep)
    for _ in range(3):
        factories.LeadFactory(owner_user=None, owner_team=teams.north)
    factories.LeadFactory(owner_user=None, owner_team=teams.south)
    for _ in range(2):
        factories.LeadAssignmentFactory(lead__owner_user=rep, assigned_user=rep)
    html = rep_client.get(URL).content.decode()
    assert "Web leads" in html
    assert 'id="unassigned-queue"' not in html
    assert 'id="assignment-log"' not in html
    assert re.search(r'<a href="/routing/queue/"[^>]*>Unassigned queue \(3\)</a>', html)
    assert re.search(r'<a href="/routing/log/"[^>]*>Assignment log \(2\)</a>', html)
    assert re.search(
        r'<a href="/routing/"[^>]*aria-current="page"[^>]*>Rules</a>', html
    )


def test_tab_counts_stop_at_the_cap(rep_client, rep, teams, monkeypatch):
    """Counts stop past COUNT_CAP ("1,000+"), so a million leads cost the same."""
    monkeypatch.setattr(routing_selectors, "COUNT_CAP", 3)
    for _ in range(5):
        factories.LeadFactory(owner_user=None, owner_team=teams.north)
        factories.LeadAssignmentFactory(lead__owner_user=rep, assigned_user=rep)
    html = rep_client.get(URL).content.decode()
    assert "Unassigned queue (3+)" in html and "Assignment log (3+)" in html
    html = rep_client.get(QUEUE).content.decode()
    assert "Unassigned queue (3+)" in html and "Assignment log (3+)" in html


def test_unassigned_queue_shows_open_team_leads_in_scope(rep_client, rep, teams):
    waiting = factories.LeadFactory(
        owner_user=None, owner_team=teams.north, last_name="Waiting"
    )
    factories.LeadFactory(
        owner_user=None, owner_team=teams.north, last_name="Closedone", qualified=True
    )
    factories.LeadFactory(owner_user=rep, last_name="Personal")
    factories.LeadFactory(owner_user=None, owner_team=teams.south, last_name="Southern")
    response = rep_client.get(QUEUE)
    assert list(response.context["page"]) == [waiting]
    html = response.content.decode()
    assert "Waiting" in html and "Southern" not in html
    assert "Unassigned queue (1)" in html
    assert re.search(r'aria-current="page"[^>]*>Unassigned queue \(1\)', html)


def test_manager_queue_covers_the_business_unit(manager_client, teams, org):
    other_team = factories.TeamFactory(name="North Key", business_unit=org.north)
    a = factories.LeadFactory(owner_user=None, owner_team=teams.north)
    b = factories.LeadFactory(owner_user=None, owner_team=other_team)
    factories.LeadFactory(owner_user=None, owner_team=teams.south)
    response = manager_client.get(QUEUE)
    assert set(response.context["page"]) == {a, b}


def test_queue_pages_oldest_first_in_the_viewers_scope(client, rep, rep2, teams):
    """55 leads waiting: page 1 shows 50, page 2 the other 5; a rep of the other
    unit sees none of them."""
    start = timezone.now() - datetime.timedelta(days=60)
    waiting = [
        factories.LeadFactory(
            owner_user=None,
            owner_team=teams.north,
            created_at=start + datetime.timedelta(hours=i),
        )
        for i in range(55)
    ]
    client.force_login(rep)
    first = client.get(QUEUE)
    assert list(first.context["page"]) == waiting[:50]
    html = first.content.decode()
    assert "1–50 of 55" in html
    assert 'href="?page=2"' in html  # the shared pagination partial
    second = client.get(QUEUE, {"page": 2})
    assert list(second.context["page"]) == waiting[50:]
    assert waiting[54].last_name in second.content.decode()

    client.force_login(rep2)
    response = client.get(QUEUE)
    assert list(response.context["page"]) == []
    html = response.content.decode()
    assert "Unassigned queue (0)" in html and "Nothing waiting" in html
    assert not client.get(QUEUE, {"page": 2}).context["page"].object_list


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
    response = rep_client.get(LOG)
    assert list(response.context["page"]) == [mine_new, mine_old]
    html = response.content.decode()
    assert "matched rule Web to rep" in html
    assert re.search(r'aria-current="page"[^>]*>Assignment log \(2\)', html)


def test_assignment_log_pages_in_the_viewers_scope(client, rep, rep2):
    """55 entries on the rep's lead: page 1 shows the newest 50, page 2 the other
    5 (with the filters kept in the page links); a rep of another unit sees none."""
    lead = factories.LeadFactory(owner_user=rep)
    entries = [
        factories.LeadAssignmentFactory(lead=lead, assigned_user=rep) for _ in range(55)
    ]
    client.force_login(rep)
    first = client.get(LOG)
    assert list(first.context["page"]) == entries[::-1][:50]
    html = first.content.decode()
    assert "1–50 of 55" in html and "Assignment log (55)" in html
    assert 'href="?page=2"' in html
    second = client.get(LOG, {"page": 2})
    assert list(second.context["page"]) == entries[::-1][50:]
    filtered = client.get(LOG, {"reason": "manual"})
    assert 'href="?reason=manual&amp;page=2"' in filtered.content.decode()
    assert len(client.get(LOG, {"reason": "manual", "page": 2}).context["page"]) == 5

    client.force_login(rep2)
    response = client.get(LOG)
    assert list(response.context["page"]) == []
    assert "Assignment log (0)" in response.content.decode()
    assert not client.get(LOG, {"page": 2}).context["page"].object_list


def test_filtered_log_keeps_the_whole_logs_count_on_its_tab(rep_client, rep):
    rule = factories.RoutingRuleFactory(name="Web", target_user=rep)
    factories.LeadAssignmentFactory(
        lead__owner_user=rep, assigned_user=rep, rule=rule, reason="matched"
    )
    factories.LeadAssignmentFactory(lead__owner_user=rep, assigned_user=rep)
    html = rep_client.get(LOG, {"rule": rule.pk}).content.decode()
    assert "Assignment log (2)" in html
    assert "1–1 of 1" in html and "filtered" in html


@pytest.mark.parametrize("url", [URL, QUEUE, LOG])
def test_routing_pages_queries_do_not_grow_with_rows(
    admin_client_, administrator, teams, url
):
    def run():
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client_.get(url)
        assert response.status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    def add_rows(n):
        for _ in range(n):
            factories.RoutingRuleFactory(target_user=None, target_team=teams.north)
            lead = factories.LeadFactory(owner_user=None, owner_team=teams.south)
            factories.LeadAssignmentFactory(
                lead=lead, assigned_user=None, assigned_team=teams.south
            )

    add_rows(2)
    few = run()
    add_rows(20)
    many = run()
    assert len(many) == len(few) <= 10
    assert not {sql for sql in many if many.count(sql) > 1}, "a query ran twice"


def test_empty_routing_pages_explain_themselves(rep_client):
    html = rep_client.get(URL).content.decode()
    assert "No routing rules yet" in html
    assert "Unassigned queue (0)" in html and "Assignment log (0)" in html
    assert "Nothing waiting" in rep_client.get(QUEUE).content.decode()
    assert "No assignments logged yet" in rep_client.get(LOG).content.decode()
