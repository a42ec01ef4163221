"""The stage bar in a browser: a rep sees an opportunity's stages and the current
stage's steps, is told which required step holds it back, ticks it, moves on; on
a phone the stages wrap without sideways scrolling. The lead page shows its
Qualify stage."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from accounts.models import Opportunity, SalesStage, StageProcess, StageStep
from accounts.services import stages as stage_services
from tests import factories
from tests.support import ensure_roles

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _roles(transactional_db):
    """Role groups come from a data migration that a live-server flush removes."""
    ensure_roles()


def _step(rep, process, stage, name, field, required):
    """The step as the test needs it, whether the migration's defaults are there
    (a fresh test database) or not (after a live-server flush)."""
    step = StageStep.objects.filter(process=process, stage=stage, name=name).first()
    if step is None:
        stage_services.create_stage_step(
            by=rep,
            process=process,
            stage=stage,
            name=name,
            field=field,
            required=required,
        )
    else:
        stage_services.update_stage_step(step=step, by=rep, required=required)


def _steps(rep):
    for stage, name, field, required in [
        (SalesStage.DEVELOP, "Estimated revenue", "estimated_value", True),
        (SalesStage.DEVELOP, "Needs analysed with the customer", "", False),
        (SalesStage.PROPOSE, "Proposal sent", "", True),
        (SalesStage.PROPOSE, "Estimated close date", "estimated_close_date", False),
    ]:
        _step(rep, StageProcess.OPPORTUNITY, stage, name, field, required)
    _step(
        rep,
        StageProcess.LEAD,
        SalesStage.QUALIFY,
        "Budget status",
        "budget_status",
        True,
    )


def test_a_rep_moves_an_opportunity_through_its_stages(page, login, rep, screenshot):
    _steps(rep)
    account = factories.AccountFactory(owner_user=rep, name="Northwind Traders")
    opportunity = account_services.create_opportunity(
        name="Delivery vans for the 2031 season",
        account=account,
        owner_user=rep,
        estimated_value=Decimal("40000"),
        sales_stage=SalesStage.DEVELOP,
    )
    lead = factories.LeadFactory(owner_user=rep, budget_status=None)
    login("rep")

    page.goto(f"/leads/{lead.pk}/")
    bar = page.locator(".stage-bar")
    expect(bar.locator(".stage-current")).to_contain_text("Qualify")
    expect(page.locator(".step-list")).to_contain_text("Budget status")
    screenshot("stage-bar-lead-desktop")

    page.goto(opportunity.get_absolute_url())
    expect(page.locator(".stage-current")).to_contain_text("Develop")
    page.get_by_role("button", name="Next stage: Propose").click()
    expect(page.locator(".message-success, .alert-success").first).to_contain_text(
        "Stage: Propose."
    )
    # Propose needs its proposal sent before Close.
    page.get_by_role("button", name="Next stage: Close").click()
    expect(page.locator(".messages").first).to_contain_text(
        "Complete the Propose stage first: Proposal sent"
    )
    screenshot("stage-bar-opportunity-desktop")
    page.locator(".step", has_text="Proposal sent").get_by_role(
        "button", name="Mark done"
    ).click()
    expect(page.locator(".step", has_text="Proposal sent")).to_have_class(
        "step step-done"
    )
    page.get_by_role("button", name="Next stage: Close").click()
    expect(page.locator(".stage-current")).to_contain_text("Close")
    assert Opportunity.objects.get(pk=opportunity.pk).sales_stage == SalesStage.CLOSE

    page.set_viewport_size(PHONE)
    page.goto(opportunity.get_absolute_url())
    expect(page.locator(".stage-current")).to_contain_text("Close")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"
    screenshot("stage-bar-opportunity-phone")
