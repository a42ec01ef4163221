"""Notifications in Chromium as `rep`: a manager's new lead is routed to the rep by
a rule; the rep's home page shows the bell with 1 unread, the bell opens the list
where "… was routed to you …" links to the lead, and after that visit the bell
shows no count. On a phone (390) the bell sits beside the search. Desktop (1280)
and phone screenshots in test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import LeadSource
from leads.services.lifecycle import create_lead
from tests.notification_helpers import to_user_rule

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def routed_lead(rep, manager):
    """A Web lead the manager creates, which the rule routes to the rep."""
    to_user_rule(rep, name="Web to the North rep")
    lead = create_lead(
        by=manager,
        subject="Wants a fleet quote",
        first_name="Marta",
        last_name="Lindqvist",
        company_name="Nordic Freight",
        source=LeadSource.WEB,
    )
    assert lead.owner_user == rep
    return lead


def _bell(page):
    return page.locator("header.topbar a.bell")


def test_rep_hears_of_a_routed_lead_through_the_bell(
    page, login, screenshot, manager, routed_lead
):
    login("rep")
    page.goto("/")
    bell = _bell(page)
    expect(bell).to_be_visible()
    expect(bell.locator(".bell-count")).to_have_text("1")
    expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread")
    screenshot("notif-home-unread-1280")

    bell.click()
    page.wait_for_url("**/notifications/")
    items = page.locator("#notifications li.notification")
    expect(items).to_have_count(1)
    link = items.first.get_by_role("link")
    expect(link).to_have_text(
        f"{routed_lead} was routed to you (lead form).", use_inner_text=True
    )
    expect(link).to_have_attribute("href", routed_lead.get_absolute_url())
    expect(items.first).to_contain_text(
        f"by {manager.get_full_name() or manager.username}"
    )
    # Shown as new on the visit that reads it; the bell already has no count.
    expect(items.first.locator(".badge")).to_have_text("New")
    expect(_bell(page).locator(".bell-count")).to_have_count(0)
    expect(_bell(page)).to_have_attribute("aria-label", "Notifications")
    screenshot("notif-list-1280")

    link.click()
    page.wait_for_url(re.compile(rf"/leads/{routed_lead.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lindqvist")
    expect(_bell(page).locator(".bell-count")).to_have_count(0)

    page.goto("/")
    expect(_bell(page)).to_be_visible()
    expect(_bell(page).locator(".bell-count")).to_have_count(0)
    screenshot("notif-home-read-1280")

    # The list again: the notification stays, no longer new.
    _bell(page).click()
    page.wait_for_url("**/notifications/")
    expect(items).to_have_count(1)
    expect(items.first).not_to_have_class(re.compile(r"\bunread\b"))
    expect(items.first.locator(".badge")).to_have_count(0)


def test_on_a_phone_the_bell_sits_beside_the_search(
    page, login, screenshot, routed_lead
):
    page.set_viewport_size(PHONE)
    login("rep")
    page.goto("/")
    search = page.locator("header.topbar #global-search")
    bell = _bell(page)
    expect(search).to_be_visible()
    expect(bell).to_be_visible()
    expect(bell.locator(".bell-count")).to_have_text("1")
    s, b = search.bounding_box(), bell.bounding_box()
    # On the same row, just right of the search box, whole on screen.
    assert b["y"] < s["y"] + s["height"] and s["y"] < b["y"] + b["height"], (s, b)
    assert s["x"] + s["width"] <= b["x"] < s["x"] + s["width"] + 40, (s, b)
    assert b["x"] + b["width"] <= PHONE["width"], b
    assert b["width"] >= 40 and b["height"] >= 40, b  # a thumb-sized target
    overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"
    screenshot("notif-home-unread-390")

    bell.click()
    page.wait_for_url("**/notifications/")
    expect(page.locator("#notifications li.notification").first).to_contain_text(
        "was routed to you"
    )
    expect(_bell(page).locator(".bell-count")).to_have_count(0)
    screenshot("notif-list-390")
    page.set_viewport_size(DESKTOP)
