"""route_lead and friends against the database: targets, distribution, skipped
users, the fallback chain, the log row, triggers and response-time re-routing."""

import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.permissions import SALES_REP
from leads.exceptions import TransitionRefused
from leads.models import (
    AssignmentReason,
    Lead,
    LeadAssignment,
    LeadSource,
    RoutingRule,
)
from leads.selectors.scoring import scoring_config, scoring_tables
from leads.services import lifecycle
from leads.services.routing import (
    bulk_route_leads,
    reroute_overdue_leads,
    route_lead,
)
from leadsite.core.transactions import transaction_memo
from tests import factories
from tests.support import ensure_roles

pytestmark = pytest.mark.django_db

WEB = [{"field": "source", "op": "in", "value": [8, 7]}]


@pytest.fixture
def team(org):
    ensure_roles()
    members = [
        factories.UserFactory(
            username=name.lower(),
            first_name=name,
            last_name="Rep",
            business_unit=org.south,
        )
        for name in ("Ana", "Ben", "Cy")
    ]
    for member in members:
        member.groups.add(Group.objects.get(name=SALES_REP))
    return factories.TeamFactory(
        name="South Web", business_unit=org.south, members=members
    )


def members(team):
    return list(team.members.order_by("pk"))


def web_lead(creator, **kw):
    return factories.LeadFactory(
        owner_user=creator,
        business_unit=creator.business_unit,
        source=LeadSource.WEB,
        **kw,
    )


def team_rule(team, **kw):
    return factories.RoutingRuleFactory(
        name=kw.pop("name", "Web to team"),
        conditions=kw.pop("conditions", WEB),
        target_user=None,
        target_team=team,
        **kw,
    )


def test_matching_rule_sets_owner_unit_and_writes_one_log_row(rep, team, org):
    team_rule(team)
    lead = web_lead(rep)
    entry = route_lead(lead=lead, by=rep)
    ana = members(team)[0]
    lead.refresh_from_db()
    assert lead.owner_user == ana and lead.owner_team is None
    assert lead.business_unit == org.south
    [logged] = LeadAssignment.objects.filter(lead=lead)
    assert logged == entry
    assert (
        logged.reason == AssignmentReason.MATCHED and logged.rule.name == "Web to team"
    )
    assert logged.trigger == "form" and logged.by == rep
    assert logged.detail == (
        "matched 'Web to team' (source in Web, Trade Show) → team South Web, "
        "round-robin turn of Ana Rep"
    )


def test_round_robin_shares_in_turn(rep, team):
    team_rule(team)
    owners = [route_lead(lead=web_lead(rep), by=rep).assigned_user for _ in range(6)]
    ana, ben, cy = members(team)
    assert owners == [ana, ben, cy, ana, ben, cy]


def test_inactive_unavailable_and_full_members_are_skipped(rep, team):
    ana, ben, cy = members(team)
    ana.is_active = False
    ana.save()
    ben.available_for_leads = False
    ben.unavailable_until = timezone.localdate() + datetime.timedelta(days=3)
    ben.save()
    cy.lead_capacity = 1
    cy.save()
    team_rule(team)
    assert route_lead(lead=web_lead(rep), by=rep).assigned_user == cy
    # Cy is now at capacity: nobody is left, and there is no fallback.
    entry = route_lead(lead=web_lead(rep), by=rep)
    assert entry.reason == AssignmentReason.UNCHANGED and entry.assigned_user is None
    assert entry.lead.owner_user == rep
    assert "team South Web: nobody eligible; no fallback owner" in entry.detail


def test_unavailable_until_a_past_date_is_available_again(rep, team):
    ana = members(team)[0]
    ana.available_for_leads = False
    ana.unavailable_until = timezone.localdate() - datetime.timedelta(days=1)
    ana.save()
    team_rule(team)
    assert route_lead(lead=web_lead(rep), by=rep).assigned_user == ana


def test_least_loaded_gives_to_fewest_open_leads(rep, team):
    ana, ben, cy = members(team)
    for owner, count in ((ana, 3), (ben, 1), (cy, 2)):
        for _ in range(count):
            factories.LeadFactory(owner_user=owner)
    factories.LeadFactory(owner_user=ben, qualified=True)  # closed: not counted
    team_rule(team, distribution="least_loaded")
    entry = route_lead(lead=web_lead(rep), by=rep)
    assert entry.assigned_user == ben
    assert "least loaded: Ben Rep (1 open)" in entry.detail
    assert route_lead(lead=web_lead(rep), by=rep).assigned_user in (ben, cy)


def test_round_robin_carries_on_from_the_saved_cursor(rep, team):
    """The turn is read from the rule's row, not from the rule as loaded."""
    ana, ben, cy = members(team)
    rule = team_rule(team)
    RoutingRule.objects.filter(pk=rule.pk).update(last_assigned_user=ben)
    assert route_lead(lead=web_lead(rep), by=rep).assigned_user == cy
    rule.refresh_from_db()
    assert rule.last_assigned_user == cy
    assert route_lead(lead=web_lead(rep), by=rep).assigned_user == ana


def test_team_without_members_goes_to_the_unit_default_owner(rep, org):
    """Round robin and least loaded alike; the cursor does not move."""
    boss = factories.UserFactory(username="boss", first_name="Bo", last_name="Boss")
    org.south.default_owner = boss
    org.south.save()
    empty = factories.TeamFactory(name="Nobody", business_unit=org.south, members=[])
    for distribution in ("round_robin", "least_loaded"):
        rule = team_rule(
            empty, name=distribution, business_unit=org.south, distribution=distribution
        )
        entry = route_lead(lead=web_lead(rep2_like(org)), by=rep)
        assert (
            entry.assigned_user == boss and entry.reason == AssignmentReason.TEAM_FULL
        )
        assert entry.detail.endswith(
            "→ team Nobody: no members → South default owner Bo Boss"
        )
        rule.refresh_from_db()
        assert rule.last_assigned_user is None
        RoutingRule.objects.filter(pk=rule.pk).update(is_active=False)


def test_the_assigned_user_loads_the_fields_routing_did_not_read(rep, team):
    team_rule(team)
    ana = members(team)[0]
    entry = route_lead(lead=web_lead(rep), by=rep)
    assert entry.assigned_user == ana and entry.assigned_user.email == ana.email
    assert entry.lead.owner_user.email == ana.email


def test_fallback_chain_team_then_unit_default_owner_then_setting(
    rep, team, org, settings
):
    for member in members(team):
        member.lead_capacity = 0
        member.save()
    boss = factories.UserFactory(username="boss", first_name="Bo", last_name="Boss")
    sam = factories.UserFactory(username="sam", first_name="Sam", last_name="Lee")
    team_rule(team, business_unit=org.south)
    org.south.default_owner = boss
    org.south.save()
    settings.LEADSITE_FALLBACK_OWNER = "sam"
    entry = route_lead(lead=web_lead(rep2_like(org)), by=rep)
    assert entry.assigned_user == boss and entry.reason == AssignmentReason.TEAM_FULL
    assert entry.detail.endswith("everyone at capacity → South default owner Bo Boss")
    boss.is_active = False
    boss.save()
    entry = route_lead(lead=web_lead(rep2_like(org)), by=rep)
    assert entry.assigned_user == sam
    assert entry.detail.endswith("→ fallback owner Sam Lee")


def rep2_like(org):
    return factories.UserFactory(business_unit=org.south)


def test_no_rule_matched_goes_to_unit_default_owner_up_the_tree(rep, org, settings):
    boss = factories.UserFactory(username="boss", first_name="Bo", last_name="Boss")
    org.root.default_owner = boss
    org.root.save()
    entry = route_lead(lead=web_lead(rep), by=rep)
    assert entry.reason == AssignmentReason.FALLBACK and entry.rule is None
    assert entry.detail == "no rule matched → Contoso default owner Bo Boss"
    assert entry.lead.owner_user == boss


def test_no_rule_and_no_fallback_leaves_the_lead_and_says_so(rep, settings):
    settings.LEADSITE_FALLBACK_OWNER = "nobody-by-that-name"
    lead = web_lead(rep)
    entry = route_lead(lead=lead, by=rep)
    assert entry.reason == AssignmentReason.UNCHANGED
    assert entry.detail == "no rule matched and no fallback owner"
    lead.refresh_from_db()
    assert lead.owner_user == rep


def test_business_unit_rules_apply_to_their_unit_and_children_only(rep, rep2, org):
    north_rule = factories.RoutingRuleFactory(
        name="North only", business_unit=org.north, target_user=rep
    )
    root_rule = factories.RoutingRuleFactory(
        name="Everyone", business_unit=org.root, target_user=rep2, order=1
    )
    assert route_lead(lead=web_lead(rep), by=rep).rule == north_rule
    assert route_lead(lead=web_lead(rep2), by=rep2).rule == root_rule


def test_channel_partner_rules_come_first(rep, rep2, org):
    partner = factories.AccountFactory(is_partner=True, owner_user=rep)
    factories.RoutingRuleFactory(name="Org", order=1, target_user=rep)
    partner_rule = factories.RoutingRuleFactory(
        name="Partner", order=500, channel_partner=partner, target_user=rep2
    )
    entry = route_lead(lead=web_lead(rep, channel_partner=partner), by=rep)
    assert entry.rule == partner_rule and entry.assigned_user == rep2


def test_closed_lead_is_refused_and_nothing_logged(rep):
    lead = factories.LeadFactory(owner_user=rep, qualified=True)
    with pytest.raises(TransitionRefused):
        route_lead(lead=lead, by=rep)
    assert not LeadAssignment.objects.exists()


def test_unknown_trigger_is_refused(rep):
    with pytest.raises(ValueError):
        route_lead(lead=web_lead(rep), by=rep, trigger="carrier pigeon")


def _route_queries(rep, team, rules):
    for i in range(rules - 1):
        factories.RoutingRuleFactory(
            name=f"Never {i}",
            order=i,
            conditions=[{"field": "country", "op": "equals", "value": f"Nowhere {i}"}],
            target_user=rep,
        )
    team_rule(team, order=10_000)
    lead = web_lead(rep)
    # The lead moves to the team's unit and is rescored there: with the scoring
    # tables and settings a running process keeps (read once a minute).
    scoring_tables(), scoring_config()
    # As in a request of its own: what a transaction reads once (whether any
    # webhook subscription exists) is read again, not taken from the test's.
    transaction_memo().clear()
    with CaptureQueriesContext(connection) as queries:
        entry = route_lead(lead=lead, by=rep)
    assert entry.reason == AssignmentReason.MATCHED
    return len(queries)


@pytest.mark.parametrize("rules", [5, 50])
def test_routing_runs_a_constant_number_of_queries(rep, team, rules):
    assert _route_queries(rep, team, rules) <= 16


def test_query_count_does_not_grow_from_5_to_50_rules(rep, team):
    few = _route_queries(rep, team, 5)
    factories.RoutingRuleFactory.reset_sequence()
    many = _route_queries(rep, team, 45)
    assert few == many


# --- triggers --------------------------------------------------------------------------


def test_create_lead_routes_unless_assign_to_me(rep, team):
    team_rule(team)
    routed = lifecycle.create_lead(
        by=rep, subject="Web", last_name="Ng", source=LeadSource.WEB
    )
    assert routed.owner_user == members(team)[0]
    assert routed.assignments.get().trigger == "form"
    kept = lifecycle.create_lead(
        by=rep, subject="Web", last_name="Ng", source=LeadSource.WEB, assign_to_me=True
    )
    assert kept.owner_user == rep and not kept.assignments.exists()


def test_create_lead_with_an_explicit_owner_is_not_routed(rep, rep2, team):
    team_rule(team)
    lead = lifecycle.create_lead(
        by=rep, subject="T", last_name="Ng", source=LeadSource.WEB, owner_user=rep2
    )
    assert lead.owner_user == rep2 and not lead.assignments.exists()


def test_a_persons_lead_that_no_rule_matches_stays_with_them(rep, org, settings):
    """Not the business unit's default owner nor the fallback owner: those are
    for leads nobody owns yet."""
    rep.first_name, rep.last_name = "Rae", "Rep"
    rep.save()
    boss = factories.UserFactory(username="boss", business_unit=org.north)
    org.north.default_owner = boss
    org.north.save()
    factories.UserFactory(username="sam")
    settings.LEADSITE_FALLBACK_OWNER = "sam"
    lead = lifecycle.create_lead(
        by=rep, subject="Web", last_name="Ng", source=LeadSource.WEB
    )
    assert lead.owner_user == rep and lead.business_unit == org.north
    entry = lead.assignments.get()
    assert entry.reason == AssignmentReason.KEPT and entry.rule is None
    assert entry.assigned_user == rep and entry.trigger == "form"
    assert entry.detail == "no rule matched → kept by creator Rae Rep"


def test_a_persons_lead_whose_rule_target_is_full_stays_and_is_never_rerouted(
    rep, team, org
):
    for member in members(team):
        member.lead_capacity = 0
        member.save()
    boss = factories.UserFactory(username="boss")
    org.root.default_owner = boss
    org.root.save()
    team_rule(team, business_unit=org.root, reroute_after_hours=1)
    lead = lifecycle.create_lead(
        by=rep, subject="Web", last_name="Ng", source=LeadSource.WEB
    )
    assert lead.owner_user == rep
    entry = lead.assignments.get()
    assert entry.reason == AssignmentReason.KEPT and entry.rule.name == "Web to team"
    assert entry.detail.endswith(
        f"team South Web: everyone at capacity → kept by creator {rep}"
    )
    # The response-time check does not take a kept lead away later either.
    later = entry.created_at + datetime.timedelta(hours=2)
    assert reroute_overdue_leads(now=later).rerouted == []
    lead.refresh_from_db()
    assert lead.owner_user == rep


def test_incoming_leads_nobody_owns_still_take_the_fallback_chain(rep, org):
    """route_lead without a keeper (capture, import): the unit default owner."""
    boss = factories.UserFactory(username="boss", first_name="Bo", last_name="Boss")
    org.north.default_owner = boss
    org.north.save()
    entry = route_lead(lead=web_lead(rep), by=None, trigger="capture")
    assert entry.reason == AssignmentReason.FALLBACK and entry.assigned_user == boss


def test_manual_assignment_is_logged_with_who(manager, rep):
    manager.first_name, manager.last_name = "Maria", "Garcia"
    manager.save()
    lead = factories.LeadFactory(owner_user=manager)
    lifecycle.assign_lead(lead=lead, by=manager, owner_user=rep)
    entry = lead.assignments.get()
    assert entry.reason == AssignmentReason.MANUAL and entry.trigger == "manual"
    assert entry.detail.endswith("by Maria Garcia")


def test_bulk_route_routes_each_and_reports_refusals(rep, team):
    team_rule(team)
    leads = [web_lead(rep) for _ in range(3)]
    closed = factories.LeadFactory(owner_user=rep, qualified=True)
    result = bulk_route_leads(leads=[*leads, closed], by=rep)
    assert len(result.routed) == 3 and {e.trigger for e in result.routed} == {"bulk"}
    assert [lead for lead, _ in result.refused] == [closed]
    assert set(
        Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list(
            "owner_user", flat=True
        )
    ) == {m.pk for m in members(team)}


# --- response time ---------------------------------------------------------------------


def test_lead_not_contacted_in_time_goes_to_the_next_member(rep, team):
    team_rule(team, reroute_after_hours=4)
    ana, ben, _ = members(team)
    lead = web_lead(rep)
    first = route_lead(lead=lead, by=rep)
    assert first.assigned_user == ana
    contacted = web_lead(rep)
    route_lead(lead=contacted, by=rep)
    lifecycle.mark_contacted(lead=contacted, by=ben)

    start = first.created_at
    assert reroute_overdue_leads(now=start + datetime.timedelta(hours=3)).rerouted == []
    result = reroute_overdue_leads(now=start + datetime.timedelta(hours=4, minutes=1))
    [entry] = result.rerouted
    assert result.skipped == [] and result.failed == []
    assert entry.lead == lead and entry.reason == AssignmentReason.REROUTED
    assert entry.trigger == "reroute" and entry.by is None
    assert entry.assigned_user not in (ana, None)
    assert entry.detail.startswith("not contacted within 4 h → re-routed: matched")
    lead.refresh_from_db()
    assert lead.owner_user == entry.assigned_user
    # The clock restarts with the new owner.
    assert reroute_overdue_leads(now=start + datetime.timedelta(hours=5)).rerouted == []


def test_rules_without_response_time_never_reroute(rep, team):
    team_rule(team)
    entry = route_lead(lead=web_lead(rep), by=rep)
    later = entry.created_at + datetime.timedelta(days=30)
    assert reroute_overdue_leads(now=later).rerouted == []


def test_reroute_overdue_command_reports_what_it_did(rep, team):
    team_rule(team, reroute_after_hours=1)
    entry = route_lead(lead=web_lead(rep), by=rep)
    LeadAssignment.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    out = io.StringIO()
    call_command("reroute_overdue", stdout=out)
    assert "1 overdue lead(s) re-routed." in out.getvalue()
    assert "not contacted within 1 h → re-routed" in out.getvalue()


def test_a_routing_run_moves_the_cursor_but_not_the_version(rep, team):
    """A round-robin turn is routing's bookkeeping, not an edit of the rule: an
    editor who loaded the rule before can still save it."""
    ana, ben, _cy = members(team)
    rule = team_rule(team)
    route_lead(lead=web_lead(rep), by=rep)
    route_lead(lead=web_lead(rep), by=rep)
    rule.refresh_from_db()
    assert (rule.last_assigned_user, rule.version) == (ben, 1)
