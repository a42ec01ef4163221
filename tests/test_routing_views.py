"""Routing pages: the rule form with its condition rows and dry run, scope of who
may change what, the log with filters, route again, bulk and admin routing."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from leads.models import AssignmentReason, Lead, LeadAssignment, LeadSource, RoutingRule
from tests import factories

pytestmark = pytest.mark.django_db

NEW = "/routing/rules/new/"
LEAD = {"subject": "Wants a demo", "preferred_contact_method": "1", "rating": "2"}


def rule_data(**overrides):
    data = {
        "name": "Web and shows",
        "order": "10",
        "is_active": "on",
        "business_unit": "",
        "channel_partner": "",
        "target_user": "",
        "target_team": "",
        "distribution": "round_robin",
        "reroute_after_hours": "",
        "conditions-TOTAL_FORMS": "0",
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "1000",
        "leads": "500",
    }
    data.update(overrides)
    return data


def with_conditions(data, *rows):
    data["conditions-TOTAL_FORMS"] = str(len(rows))
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"conditions-{i}-{key}"] = value
    return data


@pytest.fixture
def north_team(org, rep):
    ana = factories.UserFactory(
        username="ana", first_name="Ana", last_name="Ruiz", business_unit=org.north
    )
    return factories.TeamFactory(
        name="North Web", business_unit=org.north, members=[rep, ana]
    )


def test_manager_creates_a_rule_with_conditions(manager_client, org, north_team):
    data = with_conditions(
        rule_data(business_unit=str(org.north.pk), target_team=str(north_team.pk)),
        {"field": "source", "op": "in", "values": ["source:8", "source:7"]},
        {"field": "employees", "op": "gte", "value": "50"},
    )
    response = manager_client.post(NEW, data)
    assert response.status_code == 302, response.context["form"].errors
    rule = RoutingRule.objects.get()
    assert rule.conditions == [
        {"field": "source", "op": "in", "value": [8, 7]},
        {"field": "employees", "op": "gte", "value": 50},
    ]
    assert rule.business_unit == org.north and rule.target_team == north_team
    page = manager_client.get("/routing/").content.decode()
    assert "source in Web, Trade Show; employees ≥ 50" in page


def test_malformed_condition_shows_its_error_beside_the_row(
    manager_client, org, manager
):
    data = with_conditions(
        rule_data(business_unit=str(org.north.pk), target_user=str(manager.pk)),
        {"field": "employees", "op": "gte", "value": "lots"},
        {"field": "source", "op": "contains", "value": "We"},
    )
    response = manager_client.post(NEW, data)
    assert response.status_code == 200
    formset = response.context["formset"]
    assert "Employees ≥ needs a whole number." in formset.forms[0].errors["value"]
    assert "operator is one of" in formset.forms[1].errors["op"][0]
    assert not RoutingRule.objects.exists()
    html = response.content.decode()
    assert "needs a whole number" in html


def test_rule_needs_exactly_one_target_and_managers_a_level(manager_client, manager):
    response = manager_client.post(NEW, rule_data())
    form = response.context["form"]
    assert "choose exactly one" in form.errors["target_user"][0]
    assert (
        "organisation rules are for administrators" in form.errors["business_unit"][0]
    )
    assert not RoutingRule.objects.exists()


def test_manager_cannot_edit_another_units_rule(manager_client, org, rep2):
    south = factories.RoutingRuleFactory(business_unit=org.south, target_user=rep2)
    org_rule = factories.RoutingRuleFactory(target_user=rep2)
    for rule in (south, org_rule):
        assert manager_client.get(f"/routing/rules/{rule.pk}/edit/").status_code == 404
        assert (
            manager_client.post(f"/routing/rules/{rule.pk}/toggle/").status_code == 404
        )
        rule.refresh_from_db()
        assert rule.is_active
    # Nor move a rule into another unit by editing its own.
    own = factories.RoutingRuleFactory(business_unit=org.north, target_user=rep2)
    data = rule_data(business_unit=str(org.south.pk), target_user=str(rep2.pk))
    response = manager_client.post(f"/routing/rules/{own.pk}/edit/", data)
    assert response.status_code == 200
    assert "business_unit" in response.context["form"].errors
    own.refresh_from_db()
    assert own.business_unit == org.north


def test_reps_read_rules_but_change_nothing(rep_client, org, rep):
    rule = factories.RoutingRuleFactory(
        name="Readable", business_unit=org.north, target_user=rep
    )
    page = rep_client.get("/routing/").content.decode()
    assert "Readable" in page and "New rule" not in page and "Deactivate" not in page
    assert rep_client.get(NEW).status_code == 404
    assert rep_client.get(f"/routing/rules/{rule.pk}/edit/").status_code == 404
    assert rep_client.post(f"/routing/rules/{rule.pk}/move/").status_code == 404


def test_admin_edits_toggles_and_reorders(admin_client_, administrator, org):
    first = factories.RoutingRuleFactory(
        name="First", order=10, target_user=administrator
    )
    second = factories.RoutingRuleFactory(
        name="Second", order=20, target_user=administrator
    )
    admin_client_.post(f"/routing/rules/{second.pk}/move/", {"direction": "up"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.order, first.order) == (10, 20)
    admin_client_.post(f"/routing/rules/{first.pk}/toggle/")
    first.refresh_from_db()
    assert not first.is_active
    response = admin_client_.get(f"/routing/rules/{first.pk}/edit/")
    assert response.status_code == 200


def test_edit_form_shows_stored_conditions(admin_client_, administrator):
    rule = factories.RoutingRuleFactory(
        target_user=administrator,
        conditions=[
            {"field": "source", "op": "in", "value": [8]},
            {"field": "country", "op": "in", "value": ["UK", "DE"]},
        ],
    )
    response = admin_client_.get(f"/routing/rules/{rule.pk}/edit/")
    forms = response.context["formset"].forms
    assert forms[0]["values"].value() == ["source:8"]
    assert forms[1]["value"].value() == "UK, DE"


def test_rules_page_groups_levels_with_hit_counts(
    admin_client_, administrator, org, rep
):
    partner = factories.AccountFactory(is_partner=True, name="Fabrikam", owner_user=rep)
    org_rule = factories.RoutingRuleFactory(name="Org rule", target_user=administrator)
    factories.RoutingRuleFactory(
        name="North rule", business_unit=org.north, target_user=rep
    )
    factories.RoutingRuleFactory(
        name="Partner rule", channel_partner=partner, target_user=rep
    )
    for _ in range(3):
        factories.LeadAssignmentFactory(rule=org_rule, reason=AssignmentReason.MATCHED)
    response = admin_client_.get("/routing/")
    groups = response.context["groups"]
    assert [[r.name for r in g.rules] for g in groups] == [
        ["Partner rule"],
        ["North rule"],
        ["Org rule"],
    ]
    assert groups[2].rules[0].hits == 3


def test_routing_page_queries_stay_flat(
    admin_client_, administrator, org, django_assert_max_num_queries
):
    campaign = factories.CampaignFactory()
    for _ in range(15):
        factories.RoutingRuleFactory(
            target_user=administrator,
            conditions=[{"field": "campaign", "op": "equals", "value": campaign.pk}],
        )
    with django_assert_max_num_queries(12):
        response = admin_client_.get("/routing/")
    assert f"campaign is {campaign.name}" in response.content.decode()


# --- dry run ---------------------------------------------------------------------------


def test_dry_run_shows_distribution_and_writes_nothing(
    manager_client, manager, org, north_team, rep
):
    saved = factories.RoutingRuleFactory(
        name="Saved", business_unit=org.north, target_user=None, target_team=north_team
    )
    leads = [
        factories.LeadFactory(
            owner_user=manager, source=LeadSource.WEB, business_unit=org.north
        )
        for _ in range(6)
    ]
    factories.LeadFactory(
        owner_user=manager, source=LeadSource.SEMINAR, business_unit=org.north
    )
    before = {lead.pk: lead.owner_user_id for lead in Lead.objects.all()}
    data = with_conditions(
        rule_data(
            name="Draft",
            order="1",
            business_unit=str(org.north.pk),
            target_team=str(north_team.pk),
            dry_run="1",
        ),
        {"field": "source", "op": "in", "values": ["source:8"]},
    )
    response = manager_client.post(f"/routing/rules/{saved.pk}/edit/", data)
    assert response.status_code == 200
    result = response.context["dry_run"]
    assert len(result.rows) == 7
    would = {name: count for name, count, _now, _diff in result.per_assignee}
    assert would[str(rep)] == 3 and would["Ana Ruiz"] == 3
    assert dict(result.per_rule) == {"Draft": 6, "No rule matched": 1}
    assert result.changed == 6
    html = response.content.decode()
    assert "Who would get how many" in html and "dry-run-chart" in html
    # Nothing written: the saved rule, owners, log and cursor are as they were.
    saved.refresh_from_db()
    assert saved.name == "Saved" and saved.conditions == []
    assert saved.last_assigned_user is None
    assert not LeadAssignment.objects.exists()
    assert {lead.pk: lead.owner_user_id for lead in Lead.objects.all()} == before
    assert len(leads) == 6


def test_dry_run_for_a_new_rule_creates_no_rule(manager_client, org, north_team):
    factories.LeadFactory(source=LeadSource.WEB, business_unit=org.north)
    data = rule_data(
        business_unit=str(org.north.pk),
        target_team=str(north_team.pk),
        dry_run="1",
        leads="10",
    )
    response = manager_client.post(NEW, data)
    assert response.context["dry_run"] is not None
    assert not RoutingRule.objects.exists()


def test_rule_form_dry_run_tries_an_inactive_rule_as_if_active(
    manager_client, manager, org, north_team, rep
):
    """A dry run of a rule that is switched off used to leave it out
    silently ("No rule matched" for every lead); it is tried as if active, and
    the result says so. The other inactive rules are named as left out."""
    draft = factories.RoutingRuleFactory(
        name="Draft",
        business_unit=org.north,
        target_user=None,
        target_team=north_team,
        is_active=False,
    )
    factories.RoutingRuleFactory(
        name="Parked", business_unit=org.north, target_user=rep, is_active=False
    )
    for _ in range(6):
        factories.LeadFactory(
            owner_user=manager, source=LeadSource.WEB, business_unit=org.north
        )
    factories.LeadFactory(
        owner_user=manager, source=LeadSource.SEMINAR, business_unit=org.north
    )
    data = with_conditions(
        rule_data(
            name="Draft",
            business_unit=str(org.north.pk),
            target_team=str(north_team.pk),
            dry_run="1",
        ),
        {"field": "source", "op": "in", "values": ["source:8"]},
    )
    del data["is_active"]  # "Active" unticked
    response = manager_client.post(f"/routing/rules/{draft.pk}/edit/", data)
    result = response.context["dry_run"]
    label = "Draft (inactive: tried as if active)"
    assert dict(result.per_rule) == {label: 6, "No rule matched": 1}
    assert [rule.name for rule in result.as_if_active] == ["Draft"]
    assert [rule.name for rule in result.left_out] == ["Parked"]
    html = response.content.decode()
    assert html.count(label) == 7  # the rule table and each of its six leads
    assert "Inactive: tried as if active." in html
    assert "Left out, being inactive: “Parked”" in html
    # The form still shows the rule switched off, and nothing was saved.
    assert response.context["form"]["is_active"].value() is False
    draft.refresh_from_db()
    assert draft.is_active is False and draft.conditions == []


def test_routing_page_dry_run_tries_the_inactive_rules_ticked(
    manager_client, manager, org, north_team, rep
):
    """The routing page's dry run replays the active rules; an inactive
    rule ticked is tried as if active and labelled so, the others are named as
    left out. Nothing is written."""
    ana = north_team.members.get(username="ana")
    factories.RoutingRuleFactory(
        name="Seminars to Ana",
        business_unit=org.north,
        target_user=ana,
        conditions=[{"field": "source", "op": "equals", "value": LeadSource.SEMINAR}],
    )
    web = factories.RoutingRuleFactory(
        name="Web to the team",
        business_unit=org.north,
        target_user=None,
        target_team=north_team,
        is_active=False,
        conditions=[{"field": "source", "op": "equals", "value": LeadSource.WEB}],
    )
    factories.RoutingRuleFactory(
        name="Adverts to rep",
        business_unit=org.north,
        target_user=rep,
        is_active=False,
        conditions=[
            {"field": "source", "op": "equals", "value": LeadSource.ADVERTISEMENT}
        ],
    )
    web_leads = [LeadSource.WEB] * 4
    for source in [*web_leads, LeadSource.SEMINAR, LeadSource.ADVERTISEMENT]:
        factories.LeadFactory(
            owner_user=manager, source=source, business_unit=org.north
        )
    before = {lead.pk: lead.owner_user_id for lead in Lead.objects.all()}
    page = manager_client.get("/routing/").content.decode()
    assert f'href="?dry_run=1&amp;inactive={web.pk}#dry-run"' in page  # "Try it"

    response = manager_client.get(
        "/routing/", {"dry_run": "1", "leads": "10", "inactive": [web.pk]}
    )
    result = response.context["dry_run"]
    assert dict(result.per_rule) == {
        "Web to the team (inactive: tried as if active)": 4,
        "Seminars to Ana": 1,
        "No rule matched": 1,
    }
    would = {name: count for name, count, _now, _diff in result.per_assignee}
    assert would[str(rep)] == 2 and would["Ana Ruiz"] == 3
    html = response.content.decode()
    assert "Web to the team (inactive: tried as if active)" in html
    assert "Left out, being inactive: “Adverts to rep”" in html
    assert response.context["dry_form"]["inactive"].value() == [str(web.pk)]

    untried = manager_client.get("/routing/", {"dry_run": "1", "leads": "10"})
    result = untried.context["dry_run"]
    assert dict(result.per_rule) == {"Seminars to Ana": 1, "No rule matched": 5}
    assert "Left out, being inactive: “Web to the team”, “Adverts to rep”" in (
        untried.content.decode()
    )
    assert {lead.pk: lead.owner_user_id for lead in Lead.objects.all()} == before
    assert not LeadAssignment.objects.exists()
    web.refresh_from_db()
    assert web.is_active is False and web.last_assigned_user is None


def test_reps_get_no_dry_run_on_the_routing_page(rep_client, rep):
    factories.RoutingRuleFactory(name="Parked", target_user=rep, is_active=False)
    response = rep_client.get("/routing/", {"dry_run": "1"})
    assert response.status_code == 200
    assert "dry_run" not in response.context and "dry_form" not in response.context
    assert "Try it" not in response.content.decode()


# --- triggers on pages -----------------------------------------------------------------


def test_new_lead_from_the_form_is_routed_and_the_page_says_why(
    rep_client, rep, org, north_team
):
    factories.RoutingRuleFactory(
        name="Web North",
        conditions=[{"field": "source", "op": "in", "value": [8, 7]}],
        target_user=None,
        target_team=north_team,
    )
    response = rep_client.post(
        "/leads/new/", {**LEAD, "last_name": "Ng", "source": "8"}
    )
    lead = Lead.objects.get(last_name="Ng")
    assert lead.owner_user in north_team.members.all()
    page = rep_client.get(response["Location"]).content.decode()
    assert "matched &#x27;Web North&#x27; (source in Web, Trade Show)" in page


def test_assign_to_me_keeps_the_lead(rep_client, rep, north_team):
    factories.RoutingRuleFactory(target_user=None, target_team=north_team)
    rep_client.post(
        "/leads/new/",
        {**LEAD, "last_name": "Keep", "source": "8", "assign_to_me": "on"},
    )
    lead = Lead.objects.get(last_name="Keep")
    assert lead.owner_user == rep and not lead.assignments.exists()


def test_route_again_button(manager_client, manager, org, rep):
    lead = factories.LeadFactory(owner_user=manager, business_unit=org.north)
    factories.RoutingRuleFactory(name="All to rep", target_user=rep)
    response = manager_client.post(
        reverse("leads:route-again", args=[lead.pk]), follow=True
    )
    lead.refresh_from_db()
    assert lead.owner_user == rep
    assert "Routed again: matched &#x27;All to rep&#x27;" in response.content.decode()
    assert lead.assignments.get().trigger == "again"


def test_route_again_on_a_lead_out_of_scope_is_404(rep_client, rep2):
    lead = factories.LeadFactory(owner_user=rep2)
    assert (
        rep_client.post(reverse("leads:route-again", args=[lead.pk])).status_code == 404
    )


def test_bulk_route_selected(manager_client, manager, org, rep):
    factories.RoutingRuleFactory(name="All to rep", target_user=rep)
    leads = [
        factories.LeadFactory(owner_user=manager, business_unit=org.north)
        for _ in range(2)
    ]
    response = manager_client.post(
        "/leads/bulk/",
        {"action": "route", "ids": [lead.pk for lead in leads], "next": "/leads/"},
        follow=True,
    )
    assert "2 leads routed by the rules" in response.content.decode()
    assert set(Lead.objects.values_list("owner_user", flat=True)) == {rep.pk}


def test_admin_action_routes_through_the_service(admin_client_, administrator, rep):
    factories.RoutingRuleFactory(name="All to rep", target_user=rep)
    lead = factories.LeadFactory(owner_user=administrator)
    admin_client_.post(
        "/admin/leads/lead/",
        {"action": "route_leads_action", "_selected_action": [lead.pk]},
    )
    lead.refresh_from_db()
    assert lead.owner_user == rep
    assert lead.assignments.get().trigger == "admin"


# --- log and history -------------------------------------------------------------------


def test_lead_page_shows_routing_history_newest_first(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    factories.LeadAssignmentFactory(
        lead=lead, assigned_user=rep, detail="first decision"
    )
    factories.LeadAssignmentFactory(
        lead=lead, assigned_user=rep, detail="second decision"
    )
    page = rep_client.get(lead.get_absolute_url()).content.decode()
    history_url = reverse("leads:routing-history", args=[lead.pk])
    # The page offers the log (read when "Routing history" opens) and the button.
    assert history_url in page
    assert "Route again" in page
    # The latest decision is said on the page; the whole log when it opens.
    assert "second decision" in page
    assert "first decision" not in page
    html = rep_client.get(history_url, headers={"HX-Request": "true"}).content.decode()
    assert html.index("second decision") < html.index("first decision")


def test_a_lead_never_routed_says_so_without_a_routing_history(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    page = rep_client.get(lead.get_absolute_url()).content.decode()
    assert "Not routed or assigned since it was created." in page
    assert reverse("leads:routing-history", args=[lead.pk]) not in page


def test_the_routing_history_is_a_page_of_its_own_and_scoped(rep_client, rep, rep2):
    mine = factories.LeadAssignmentFactory(
        lead__owner_user=rep, assigned_user=rep, detail="my decision"
    )
    other = factories.LeadAssignmentFactory(lead__owner_user=rep2, assigned_user=rep2)
    response = rep_client.get(reverse("leads:routing-history", args=[mine.lead_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "my decision" in html
    assert "<html" in html  # without htmx: a page with the way back to the lead
    assert mine.lead.get_absolute_url() in html
    url = reverse("leads:routing-history", args=[other.lead_id])
    assert rep_client.get(url).status_code == 404


def test_assignment_log_filters_and_scope(rep_client, rep, rep2):
    rule = factories.RoutingRuleFactory(name="Web", target_user=rep)
    mine = factories.LeadAssignmentFactory(
        lead__owner_user=rep,
        assigned_user=rep,
        rule=rule,
        reason=AssignmentReason.MATCHED,
    )
    factories.LeadAssignmentFactory(lead__owner_user=rep, assigned_user=rep)
    factories.LeadAssignmentFactory(
        lead__owner_user=rep2, assigned_user=rep2, rule=rule
    )
    response = rep_client.get("/routing/log/", {"rule": rule.pk})
    assert list(response.context["page"].object_list) == [mine]
    response = rep_client.get("/routing/log/", {"reason": "manual"})
    assert len(response.context["page"].object_list) == 1
    response = rep_client.get("/routing/log/")
    assert len(response.context["page"].object_list) == 2


def test_lead_routed_out_of_the_creators_scope_goes_back_to_the_list(
    rep_client, rep, org
):
    other = factories.UserFactory(
        first_name="Ola", last_name="Berg", business_unit=org.south
    )
    factories.RoutingRuleFactory(name="All to Ola", target_user=other)
    response = rep_client.post(
        "/leads/new/", {**LEAD, "last_name": "Away"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/leads/"
    assert [str(m) for m in response.context["messages"]] == [
        "Lead “Away (Wants a demo)” created and routed to Ola Berg by the rule "
        "“All to Ola”: matched 'All to Ola' → Ola Berg. It is outside the leads "
        "you can open, so it is not shown."
    ]
    assert Lead.objects.get(last_name="Away").owner_user == other


# --- a new lead stays with its creator unless a rule routes it ------------------------


@pytest.fixture
def boss(org):
    """The North unit's default owner: the fallback for leads nobody owns yet."""
    boss = factories.UserFactory(
        username="boss", first_name="Bo", last_name="Boss", business_unit=org.north
    )
    org.north.default_owner = boss
    org.north.save()
    return boss


def test_new_lead_no_rule_matches_stays_with_the_rep_who_opens_it(
    rep_client, rep, boss
):
    response = rep_client.post(
        "/leads/new/", {**LEAD, "last_name": "Mine", "source": "8"}, follow=True
    )
    lead = Lead.objects.get(last_name="Mine")
    assert lead.owner_user == rep
    assert response.redirect_chain[-1][0] == lead.get_absolute_url()
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "Lead “Mine (Wants a demo)” created."
    ]
    entry = lead.assignments.get()
    assert entry.reason == AssignmentReason.KEPT
    assert "no rule matched → kept by creator" in response.content.decode()


def test_new_lead_routed_in_the_managers_unit_opens_and_says_to_whom(
    manager_client, manager, rep, boss
):
    rep.first_name, rep.last_name = "Rae", "Rep"
    rep.save()
    factories.RoutingRuleFactory(
        name="Web to Rae",
        conditions=[{"field": "source", "op": "equals", "value": 8}],
        target_user=rep,
    )
    response = manager_client.post(
        "/leads/new/", {**LEAD, "last_name": "Routed", "source": "8"}, follow=True
    )
    lead = Lead.objects.get(last_name="Routed")
    assert lead.owner_user == rep
    assert response.redirect_chain[-1][0] == lead.get_absolute_url()
    [message] = [str(m) for m in response.context["messages"]]
    assert message == (
        "Lead “Routed (Wants a demo)” created and routed to Rae Rep by the rule "
        "“Web to Rae”: matched 'Web to Rae' (source is Web) → Rae Rep."
    )


PREVIEW = "/leads/new/routing/"


@pytest.fixture
def web_rule(org, north_team):
    ana = north_team.members.get(username="ana")
    return factories.RoutingRuleFactory(
        name="Web North",
        conditions=[{"field": "source", "op": "in", "value": [8, 7]}],
        target_user=ana,
    )


def preview_text(response):
    """The page's text, tags removed and white space collapsed."""
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_routing_preview_says_where_the_values_typed_so_far_go(
    rep_client, boss, web_rule
):
    assert "This lead will stay with you. No routing rule matches it so far." in (
        preview_text(rep_client.get(PREVIEW, {"source": "1"}))
    )
    html = preview_text(rep_client.get(PREVIEW, {"source": "8", "rating": "2"}))
    assert "Rule “Web North” will route it to Ana Ruiz." in html
    assert "Tick “Assign to me” to keep it yourself." in html
    html = preview_text(rep_client.get(PREVIEW, {"source": "8", "assign_to_me": "on"}))
    assert "This lead will stay with you." in html
    assert "“Assign to me” is ticked" in html


def test_routing_preview_reads_only(rep_client, rep, north_team, web_rule):
    rule = factories.RoutingRuleFactory(
        name="Round robin",
        order=1,
        conditions=[{"field": "country", "op": "equals", "value": "Peru"}],
        target_user=None,
        target_team=north_team,
    )
    html = preview_text(rep_client.get(PREVIEW, {"country": "peru"}))
    assert "Rule “Round robin” will route it to" not in html  # rep is first in turn
    assert "This lead will stay with you." in html
    rule.refresh_from_db()
    assert rule.last_assigned_user is None
    assert not LeadAssignment.objects.exists() and not Lead.objects.exists()
    assert rep_client.post(PREVIEW, {"country": "peru"}).status_code == 405


def test_routing_preview_needs_a_login_and_ignores_partners_out_of_scope(
    rep_client, rep, rep2, org
):
    hidden = factories.AccountFactory(is_partner=True, owner_user=rep2)
    factories.RoutingRuleFactory(
        name="Hidden partner", channel_partner=hidden, target_user=rep2
    )
    response = Client().get(PREVIEW, {"channel_partner": hidden.pk})
    assert response.status_code == 302 and "/login/" in response["Location"]
    html = preview_text(rep_client.get(PREVIEW, {"channel_partner": hidden.pk}))
    assert "This lead will stay with you." in html and "Hidden partner" not in html


def test_routing_preview_runs_a_constant_number_of_queries(
    rep_client, org, north_team, web_rule, django_assert_max_num_queries
):
    for i in range(10):
        factories.RoutingRuleFactory(
            name=f"Rule {i}",
            conditions=[{"field": "country", "op": "equals", "value": f"C{i}"}],
            target_user=None,
            target_team=north_team,
        )
    with django_assert_max_num_queries(12):
        rep_client.get(PREVIEW, {"source": "8"})


def test_new_lead_form_says_where_the_lead_will_go(rep_client, org, boss):
    assert f'hx-get="{PREVIEW}"' in rep_client.get("/leads/new/").content.decode()
    html = preview_text(rep_client.get("/leads/new/"))
    assert "You will own the new lead" not in html
    assert "This lead will stay with you." in html
    ola = factories.UserFactory(
        first_name="Ola", last_name="Berg", business_unit=org.south
    )
    factories.RoutingRuleFactory(name="All to Ola", target_user=ola)
    html = preview_text(rep_client.get("/leads/new/"))
    assert "Rule “All to Ola” will route it to Ola Berg." in html
    # The form shows it again with what was typed when a save is refused.
    html = preview_text(rep_client.post("/leads/new/", {**LEAD, "last_name": ""}))
    assert "Rule “All to Ola” will route it to Ola Berg." in html


def test_new_lead_form_preview_reads_the_forms_initial_values(rep_client, org):
    """The rating starts at Warm: a rule on Warm leads applies before any change."""
    ola = factories.UserFactory(
        first_name="Ola", last_name="Berg", business_unit=org.south
    )
    factories.RoutingRuleFactory(
        name="Warm to Ola",
        conditions=[{"field": "rating", "op": "equals", "value": 2}],
        target_user=ola,
    )
    html = preview_text(rep_client.get("/leads/new/"))
    assert "Rule “Warm to Ola” will route it to Ola Berg." in html
