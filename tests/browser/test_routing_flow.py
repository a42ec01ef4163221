"""A manager builds a routing rule, tries it with a dry run and saves it; a rep's
new Web lead then lands on a team member and the lead page says why."""

import re

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
    assert "matched 'Web and trade shows to North Inside Sales'" in history.inner_text()
    assert "source in Trade Show, Web" in history.inner_text()
    history.scroll_into_view_if_needed()
    screenshot("lead-routing-history")
