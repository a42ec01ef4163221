"""A manager reads the routing page and the lead source report in Chromium."""

from playwright.sync_api import expect

from leads.models import LeadSource, LeadState, LeadStatus
from tests import factories


def test_manager_sees_routing_rules_queue_and_source_chart(
    page, login, manager, rep, org, screenshot
):
    team = factories.TeamFactory(
        name="North Sales", business_unit=org.north, members=[rep]
    )
    factories.RoutingRuleFactory(
        name="Web leads to North",
        conditions=[{"field": "source", "op": "equals", "value": int(LeadSource.WEB)}],
        target_user=None,
        target_team=team,
    )
    factories.LeadFactory(owner_user=None, owner_team=team, last_name="Waiting")
    for source, qualified, disqualified, open_ in [
        (LeadSource.WEB, 6, 3, 4),
        (LeadSource.TRADE_SHOW, 2, 4, 1),
        (LeadSource.PARTNER, 3, 1, 2),
    ]:
        for _ in range(qualified):
            factories.LeadFactory(owner_user=rep, source=source, qualified=True)
        for _ in range(disqualified):
            factories.LeadFactory(
                owner_user=rep,
                source=source,
                state=LeadState.DISQUALIFIED,
                status=LeadStatus.CANNOT_CONTACT,
            )
        for _ in range(open_):
            factories.LeadFactory(owner_user=rep, source=source)

    login("manager")
    page.goto("/routing/")
    expect(page.get_by_role("cell", name="Web leads to North")).to_be_visible()
    screenshot("routing")
    # The queue is a tab of its own.
    page.get_by_role("link", name="Unassigned queue (1)").click()
    expect(page.get_by_role("link", name="Waiting")).to_be_visible()

    page.goto("/reports/sources/")
    canvas = page.locator("#source-report-chart")
    canvas.wait_for(state="visible")
    # Chart.js draws into the canvas: it has a real size once the chart rendered.
    assert canvas.bounding_box()["height"] > 100
    screenshot("source-report")
    assert "Trade Show" in page.locator("table").first.inner_text()
