"""On a phone: the opportunity list opens on the open deals with their
totals, each row a card with stage and probability; a capture form sent with
mistakes says what to fix on top and outlines the fields."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import SalesStage
from tests import factories
from tests.support import ensure_roles

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _roles(transactional_db):
    """Role groups come from a data migration that a live-server flush removes."""
    ensure_roles()


def _no_sideways_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"


def test_opportunity_list_and_capture_errors_on_a_phone(page, login, rep, screenshot):
    account = factories.AccountFactory(owner_user=rep, name="Northwind Traders")
    for name, value, stage, probability in [
        ("Delivery vans for the 2031 season", "40000", SalesStage.PROPOSE, 60),
        ("Cargo bikes", "12500", SalesStage.DEVELOP, 30),
        ("Fleet tracking pilot", "8000", SalesStage.QUALIFY, 10),
    ]:
        factories.OpportunityFactory(
            owner_user=rep,
            account=account,
            name=name,
            estimated_value=Decimal(value),
            sales_stage=stage,
            close_probability=probability,
        )
    factories.OpportunityFactory(
        owner_user=rep, account=account, name="Signed last year", won=True
    )
    page.set_viewport_size(PHONE)
    login("rep")
    page.goto("/opportunities/")

    expect(page.get_by_role("link", name="Open", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_text("Signed last year")).to_have_count(0)
    totals = page.locator("#opportunity-totals")
    # 40,000 + 12,500 + 8,000; weighted 24,000 + 3,750 + 800.
    expect(totals).to_contain_text("USD\u00a060,500")
    expect(totals).to_contain_text("USD\u00a028,550")
    card = page.locator("tr", has_text="Cargo bikes")
    expect(card.locator(".c-stage")).to_have_text("Develop")
    expect(card.locator(".c-probability")).to_have_text("30\u00a0%")
    expect(card.locator(".c-stage")).to_be_visible()
    _no_sideways_scroll(page)
    screenshot("opportunity-list-phone")

    page.get_by_role("link", name="All", exact=True).click()
    expect(page.get_by_text("Signed last year")).to_be_visible()
    expect(totals).to_contain_text("USD\u00a065,500")  # with the won deal's 5,000

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/opportunities/")
    expect(page.get_by_role("columnheader", name="Probability")).to_be_visible()
    screenshot("opportunity-list-desktop")

    form = factories.CaptureFormFactory(
        business_unit=rep.business_unit,
        name="INTERNAL web form v2",
        consent_text="I agree that Northwind contacts me about my request.",
    )
    page.set_viewport_size(PHONE)
    page.goto(form.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact us")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Last name").fill("Ng")
    page.get_by_role("button", name="Send").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please correct the 2 fields marked below")
    expect(summary.get_by_role("link")).to_have_count(2)
    email = page.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Enter a valid email address.")
    expect(page.get_by_label("Last name")).not_to_have_attribute("aria-invalid", "true")
    border = email.evaluate("e => getComputedStyle(e).borderTopColor")
    assert border == "rgb(180, 35, 24)", border  # --err
    _no_sideways_scroll(page)
    screenshot("capture-errors-phone")

    summary.get_by_role("link", name="Email: Enter a valid email address.").click()
    expect(page).to_have_url(f"{page.url.split('#')[0]}#id_email")
    expect(email).to_be_in_viewport()
