"""Saved views in the browser: a rep filters the lead list, saves it as a view, and
after logging in anew opens it from the list's Views menu."""

import os

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import save_screenshot

SHOTS = "test-artifacts/views"
PHONE = {"width": 390, "height": 844}


def _shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    save_screenshot(page, f"{SHOTS}/{name}.png")


def _rows(page):
    return page.locator("table.lead-table tbody tr")


def test_rep_saves_a_filtered_lead_list_and_opens_it_after_logging_in_again(
    page, login, rep
):
    # Fixed names, companies and addresses: a search must match only what the
    # test means it to (random company names could contain "Qwz").
    for n, name in enumerate(("Qwzackerman", "Qwzroyd", "Baker", "Carter")):
        factories.LeadFactory(
            owner_user=rep,
            last_name=name,
            first_name="Kim",
            company_name=f"Company {n}",
            email=f"person{n}@example.com",
            subject=f"Enquiry {n}",
        )
    login("rep")
    page.goto("/leads/")
    expect(_rows(page)).to_have_count(4)
    search = page.get_by_role("searchbox", name="Search leads", exact=True)
    search.fill("Qwz")
    search.press("Enter")
    page.wait_for_url("**q=Qwz**")
    expect(_rows(page)).to_have_count(2)

    page.locator("#views-menu > summary").click()
    expect(page.get_by_role("link", name="Save view…")).to_be_visible()
    _shot(page, "menu-desktop")
    page.get_by_role("link", name="Save view…").click()
    expect(page.locator("#only-you")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Ack leads")
    _shot(page, "save-form-desktop")
    page.get_by_role("button", name="Save view").click()
    page.wait_for_url("**/leads/?**")
    expect(page.locator(".messages")).to_contain_text("View “Ack leads” saved.")
    expect(_rows(page)).to_have_count(2)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/**")
    login("rep")
    page.goto("/leads/")
    expect(_rows(page)).to_have_count(4)
    page.locator("#views-menu > summary").click()
    page.locator("#views-menu").get_by_role("link", name="Ack leads").click()
    page.wait_for_url("**q=Qwz**")
    expect(_rows(page)).to_have_count(2)
    expect(_rows(page).first).to_contain_text("Qwz")
    expect(page.locator("#views-menu > summary")).to_contain_text("Ack leads")

    page.set_viewport_size(PHONE)
    page.locator("#views-menu > summary").click()
    menu = page.locator("#views-menu .views-menu-panel")
    expect(menu).to_be_visible()
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    _shot(page, "menu-phone")
    page.get_by_role("link", name="Save view…").click()
    expect(page.get_by_label("Name", exact=True)).to_be_visible()
    _shot(page, "save-form-phone")
    page.goto("/views/?list=leads")
    expect(page.locator("#views-leads")).to_contain_text("Ack leads")
    _shot(page, "manage-phone")
