"""A manager builds a routing rule, tries it with a dry run and saves it; a rep's
new Web lead then lands on a team member and the lead page says why."""

import re

from playwright.sync_api import expect

from leads.models import Lead, LeadSource
from tests import factories


def test_manager_rule_dry_run_then_rep_lead_is_routed(
    page, login, manager, rep, org, screenshot
):
    ana = factories.UserFactory(
        username="ana", first_name="Ana", last_name="Ruiz", business_unit=org.north
    )
    ben = factories.UserFactory(
        username="ben", first_name="Ben", last_name="Okafor", business_unit=org.north
    )
    factories.TeamFactory(
        name="North Inside Sales", business_unit=org.north, members=[ana, ben]
    )
    factories.RoutingRuleFactory(
        name="Big deals to the manager",
        business_unit=org.north,
        order=20,
        target_user=manager,
        conditions=[{"field": "estimated_value", "op": "gte", "value": "100000"}],
    )
    factories.RoutingRuleFactory(
        name="Partner leads to the North rep",
        order=10,
        target_user=rep,
        conditions=[{"field": "source", "op": "equals", "value": 4}],
    )
    for index in range(12):
        factories.LeadFactory(
            owner_user=rep,
            business_unit=org.north,
            source=[LeadSource.WEB, LeadSource.TRADE_SHOW, LeadSource.SEMINAR][
                index % 3
            ],
            last_name=f"Past{index}",
        )

    login("manager")
    page.goto("/routing/")
    assert page.get_by_role("cell", name=re.compile("^Big deals")).is_visible()
    screenshot("routing-rules")

    page.get_by_role("link", name="New rule").click()
    page.fill("#id_name", "Web and trade shows to North Inside Sales")
    page.fill("#id_order", "5")
    page.select_option("#id_business_unit", label="North")
    page.get_by_role("button", name="Add condition").click()
    page.select_option("#id_conditions-0-field", "source")
    page.select_option("#id_conditions-0-op", "in")
    page.select_option("#id_conditions-0-values", ["source:8", "source:7"])
    # No target yet: the form says so beside the field.
    page.get_by_role("button", name="Save rule").click()
    error = page.locator("#id_target_user_error")
    assert "choose exactly one" in error.inner_text()
    # The condition row kept its values.
    assert page.locator("#id_conditions-0-values").evaluate(
        "el => Array.from(el.selectedOptions).map(o => o.value)"
    ) == ["source:7", "source:8"]
    screenshot("routing-rule-error")

    page.select_option("#id_target_team", label="North Inside Sales")
    page.select_option("#id_distribution", "least_loaded")
    page.get_by_role("button", name="Dry run").click()
    table = page.locator("#dry-run-distribution")
    table.wait_for()
    text = table.inner_text()
    assert "Ana Ruiz" in text and "Ben Okafor" in text
    canvas = page.locator("#dry-run-chart")
    canvas.wait_for(state="visible")
    assert canvas.bounding_box()["height"] > 100
    assert Lead.objects.filter(owner_user=rep).count() == 12  # nothing written
    screenshot("routing-dry-run")

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("routing-rule-form-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Save rule").click()
    page.wait_for_url("**/routing/")
    assert "created" in page.locator(".messages").inner_text()
    assert page.get_by_role(
        "cell", name=re.compile("^Web and trade shows")
    ).is_visible()

    page.get_by_role("button", name="Log out").click()
    login("rep")
    page.goto("/leads/new/")
    page.fill("#id_subject", "Wants a demo of the field app")
    page.fill("#id_last_name", "Lindqvist")
    page.fill("#id_company_name", "Nordic Freight")
    page.select_option("#id_source", label="Web")
    page.get_by_role("button", name="Create lead").click()
    page.wait_for_url("**/leads/")
    lead = Lead.objects.get(last_name="Lindqvist")
    assert lead.owner_user in (ana, ben)
    assert f"routed to {lead.owner_user}" in page.locator(".messages").inner_text()

    page.get_by_role("button", name="Log out").click()
    login("manager")
    page.goto(f"/leads/{lead.pk}/")
    history = page.locator("#routing-history")
    history.get_by_text("Routing history", exact=True).click()
    history.locator(".routing-history").wait_for()
    assert "matched 'Web and trade shows to North Inside Sales'" in history.inner_text()
    assert "source in Trade Show, Web" in history.inner_text()
    history.scroll_into_view_if_needed()
    screenshot("lead-routing-history")


def test_new_lead_form_says_where_the_lead_will_go_as_fields_change(
    page, login, rep, org, screenshot
):
    """The Owner box follows the routing fields; a lead no rule routes
    stays with the rep, who lands on its page."""
    ana = factories.UserFactory(
        username="ana", first_name="Ana", last_name="Ruiz", business_unit=org.south
    )
    boss = factories.UserFactory(username="boss", business_unit=org.north)
    org.north.default_owner = boss  # the fallback owner must not take it
    org.north.save()
    factories.RoutingRuleFactory(
        name="Web to Ana",
        target_user=ana,
        conditions=[{"field": "source", "op": "equals", "value": 8}],
    )

    login("rep")
    page.goto("/leads/new/")
    owner = page.locator("#routing-preview")
    expect(owner).to_contain_text("This lead will stay with you.")
    page.select_option("#id_source", label="Web")
    expect(owner).to_contain_text("Rule “Web to Ana” will route it to Ana Ruiz.")
    screenshot("lead-form-routing-preview")
    page.check("#id_assign_to_me")
    expect(owner).to_contain_text("“Assign to me” is ticked")
    page.uncheck("#id_assign_to_me")
    expect(owner).to_contain_text("will route it to Ana Ruiz")
    page.select_option("#id_source", label="Seminar")
    expect(owner).to_contain_text("No routing rule matches it so far.")

    page.fill("#id_subject", "Wants a seminar seat")
    page.fill("#id_last_name", "Moreau")
    page.get_by_role("button", name="Create lead").click()
    lead = Lead.objects.get(last_name="Moreau")
    page.wait_for_url(f"**/leads/{lead.pk}/")
    expect(page.locator(".messages")).to_contain_text("created.")
    assert lead.owner_user == rep


def test_routing_page_tabs_queue_pages_and_inactive_rule_dry_run(
    page, login, manager, rep, rep2, org, screenshot
):
    """/routing/ holds the rules and the dry run; the queue and the log
    are tabs with their counts, each paginated. A dry run with an inactive rule
    ticked tries it as if active and says so. Desktop and phone screenshots."""
    team = factories.TeamFactory(
        name="North Inside Sales", business_unit=org.north, members=[rep]
    )
    factories.RoutingRuleFactory(
        name="Seminars to the North rep",
        business_unit=org.north,
        target_user=rep,
        conditions=[
            {"field": "source", "op": "equals", "value": int(LeadSource.SEMINAR)}
        ],
    )
    factories.RoutingRuleFactory(
        name="Web to North Inside Sales (pilot)",
        business_unit=org.north,
        target_user=None,
        target_team=team,
        is_active=False,
        conditions=[{"field": "source", "op": "equals", "value": int(LeadSource.WEB)}],
    )
    for index in range(57):
        factories.LeadFactory(
            owner_user=None,
            owner_team=team,
            business_unit=org.north,
            source=LeadSource.WEB,
            last_name=f"Waiting{index:02d}",
        )
    for _ in range(3):
        lead = factories.LeadFactory(owner_user=rep, business_unit=org.north)
        factories.LeadAssignmentFactory(lead=lead, assigned_user=rep)

    login("manager")
    page.goto("/routing/")
    tabs = page.get_by_role("navigation", name="Routing")
    expect(tabs.get_by_role("link", name="Unassigned queue (57)")).to_be_visible()
    expect(tabs.get_by_role("link", name="Assignment log (3)")).to_be_visible()
    expect(page.locator("#unassigned-queue")).to_have_count(0)
    screenshot("routing-page-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    # On a phone the three tabs wrap: each is on screen, none scrolled away.
    box = tabs.get_by_role("link", name="Assignment log (3)").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    screenshot("routing-page-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    tabs.get_by_role("link", name="Unassigned queue (57)").click()
    page.wait_for_url("**/routing/queue/")
    queue = page.locator("#unassigned-queue tbody tr")
    expect(queue).to_have_count(50)
    expect(page.locator("#queue-count")).to_have_text("1–50 of 57")
    screenshot("routing-queue-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("routing-queue-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("a.page-link[rel=next]").click()
    page.wait_for_url("**/routing/queue/?page=2")
    expect(queue).to_have_count(7)
    expect(queue.last).to_contain_text("Waiting56")

    page.get_by_role("navigation", name="Routing").get_by_role(
        "link", name="Rules"
    ).click()
    page.wait_for_url("**/routing/")
    page.get_by_label("Web to North Inside Sales (pilot)", exact=True).check()
    page.get_by_role("button", name="Dry run").click()
    notice = page.locator("#dry-run-as-if-active")
    expect(notice).to_contain_text("Inactive: tried as if active.")
    expect(page.locator("#dry-run-rules")).to_contain_text(
        "Web to North Inside Sales (pilot) (inactive: tried as if active)"
    )
    page.locator("#dry-run-chart").wait_for(state="visible")
    assert Lead.objects.filter(owner_team=team).count() == 57  # nothing written
    screenshot("routing-dry-run-inactive")

    # A rep of the other unit sees none of North's queue or log.
    page.get_by_role("button", name="Log out").click()
    login("rep2")
    page.goto("/routing/queue/")
    tabs = page.get_by_role("navigation", name="Routing")
    expect(tabs.get_by_role("link", name="Unassigned queue (0)")).to_be_visible()
    expect(tabs.get_by_role("link", name="Assignment log (0)")).to_be_visible()
    expect(page.locator(".empty")).to_contain_text("Nothing waiting")
