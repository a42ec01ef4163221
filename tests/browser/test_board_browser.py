"""The lead board in a browser: a rep drags a card from New to Contacted and to
Disqualify (with the reason), and on a phone moves a card with its menu."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from leads.models import Lead, LeadState, LeadStatus
from leads.services.lifecycle import mark_contacted
from tests import factories
from tests.browser.conftest import save_screenshot
from tests.support import ensure_roles

PHONE = {"width": 390, "height": 844}
SHOTS = Path("test-artifacts/board")


@pytest.fixture(autouse=True)
def _roles(transactional_db):
    """Role groups come from a data migration that a live-server flush removes."""
    ensure_roles()


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    save_screenshot(page, str(SHOTS / f"{name}.png"))


def _drag(page, card, target):
    """Drag with the mouse in small steps, as a person does (SortableJS)."""
    box, goal = card.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 12)
    page.mouse.down()
    page.mouse.move(box["x"] + 30, box["y"] + 30, steps=5)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + 25, steps=15)
    page.mouse.up()


def _leads(rep):
    ada = factories.LeadFactory(
        owner_user=rep, first_name="Ada", last_name="Lovelace", company_name="Fabrikam"
    )
    factories.ActivityFactory(lead=ada, owner=rep, subject="Call about the demo")
    bob = factories.LeadFactory(
        owner_user=rep, first_name="Bob", last_name="Builder", company_name="Contoso"
    )
    factories.LeadFactory(
        owner_user=rep,
        first_name="Cy",
        last_name="Called",
        company_name="Northwind",
        contacted=True,
    )
    return ada, bob


def test_rep_drags_cards_to_contacted_and_disqualify(page, login, rep):
    ada, bob = _leads(rep)
    login("rep")
    page.goto("/leads/board/")
    new = page.locator('ol[data-column="1"]')
    contacted = page.locator('ol[data-column="2"]')
    expect(new.locator("[data-card]")).to_have_count(2)
    _shot(page, "board-desktop-1280")

    _drag(page, new.locator(f'[data-pk="{ada.pk}"]'), contacted)
    expect(page.locator("[data-board-message]")).to_have_text(
        "Lead marked as contacted."
    )
    expect(contacted.locator(f'[data-pk="{ada.pk}"]')).to_be_visible()
    expect(page.locator('section[data-column="2"] [data-count]')).to_have_text("2")
    expect(page.locator('section[data-column="1"] [data-count]')).to_have_text("1")
    assert Lead.objects.get(pk=ada.pk).status == LeadStatus.CONTACTED

    _drag(
        page,
        new.locator(f'[data-pk="{bob.pk}"]'),
        page.locator('[data-target="disqualified"]'),
    )
    dialog = page.locator("#board-disqualify")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Reason").select_option(label="Cannot Contact")
    _shot(page, "board-desktop-disqualify-dialog")
    dialog.get_by_role("button", name="Disqualify").click()
    expect(page.locator("[data-board-message]")).to_have_text("Lead disqualified.")
    expect(page.locator(f'[data-pk="{bob.pk}"]')).to_have_count(0)
    bob = Lead.objects.get(pk=bob.pk)
    assert (bob.state, bob.status) == (
        LeadState.DISQUALIFIED,
        LeadStatus.CANNOT_CONTACT,
    )
    _shot(page, "board-desktop-after-moves")


def test_a_stale_drag_snaps_back_with_the_message(page, login, rep):
    ada, _ = _leads(rep)
    login("rep")
    page.goto("/leads/board/")
    # Someone else marks Ada contacted after the board was drawn.
    mark_contacted(lead=ada, by=rep)
    _drag(
        page,
        page.locator(f'[data-pk="{ada.pk}"]'),
        page.locator('ol[data-column="2"]'),
    )
    expect(page.locator("[data-board-message]")).to_contain_text(
        "This lead changed while you were looking at it."
    )
    # The card shows where the lead is now: Contacted.
    expect(page.locator(f'ol[data-column="2"] [data-pk="{ada.pk}"]')).to_be_visible()


def test_rep_moves_a_card_with_the_menu_on_a_phone(page, login, rep):
    ada, _ = _leads(rep)
    page.set_viewport_size(PHONE)
    login("rep")
    page.goto("/leads/board/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the board scrolls sideways by {overflow}px"
    _shot(page, "board-phone-390")
    menu = page.get_by_label("Move “Ada Lovelace” to")
    menu.select_option("contacted")
    page.locator(f'[data-pk="{ada.pk}"]').get_by_role("button", name="Move").click()
    expect(page.locator("[data-board-message]")).to_have_text(
        "Lead marked as contacted."
    )
    expect(page.locator(f'ol[data-column="2"] [data-pk="{ada.pk}"]')).to_be_visible()
    assert Lead.objects.get(pk=ada.pk).status == LeadStatus.CONTACTED
    # Keyboard: the moved card's menu has the focus, and no longer offers Contacted.
    expect(menu).to_be_focused()
    expect(menu.locator('option[value="contacted"]')).to_be_hidden()
    _shot(page, "board-phone-390-after-move")
