"""Mass update in Chromium as `manager`: select the 50 leads of the list, set the
rating and an owner, watch the worker's progress to the result report, then undo it
and find the leads as before. Screenshots of the form and of the progress/result at
desktop (1280) and phone (390) widths in /tmp/shots/massupdate/."""

import os

import pytest
from playwright.sync_api import expect

from leads import tasks
from leads.models import Lead, LeadRating, MassUpdate
from leads.services import mass_update as mass_update_services
from tests import factories
from tests.browser.conftest import USER_WAIT_MS, save_screenshot

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = "test-artifacts/massupdate"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _shots(page, name):
    """The page at desktop and phone width."""
    os.makedirs(SHOTS, exist_ok=True)
    save_screenshot(page, f"{SHOTS}/{name}-1280.png")
    page.set_viewport_size(PHONE)
    save_screenshot(page, f"{SHOTS}/{name}-390.png")
    page.set_viewport_size(DESKTOP)


def _snapshot():
    return dict(Lead.objects.values_list("pk", "rating")), dict(
        Lead.objects.values_list("pk", "owner_user_id")
    )


def test_manager_mass_updates_fifty_leads_and_undoes_it(
    page, login, rep, manager, task_worker, monkeypatch
):
    # Through the worker, a chunk of ten at a time: the page shows the progress.
    monkeypatch.setattr(tasks, "MASS_UPDATE_INLINE_ROWS", 10)
    monkeypatch.setattr(mass_update_services, "CHUNK_ROWS", 10)
    with task_worker.quiet():
        for i in range(50):
            factories.LeadFactory(
                owner_user=rep,
                rating=LeadRating.COLD,
                last_name=f"Massey {i:02d}",
                company_name="Fleet Buyers",
            )
        before = _snapshot()

    login("manager")
    page.goto("/leads/?view=all")
    page.locator("th.select input[data-select-all]").check()
    expect(page.locator("[data-bulk-bar]")).to_be_visible()
    page.locator("#mass-update-selected").click()
    page.wait_for_url("**/leads/mass-update/")
    expect(page.locator("#mass-update-selection")).to_contain_text("50 selected leads")

    page.locator("input[name=set_rating]").check()
    page.locator("select[name=rating]").select_option(label="Hot")
    page.locator("input[name=set_owner]").check()
    page.locator("select[name=owner_user]").select_option(value=str(manager.pk))
    _shots(page, "form")
    page.locator("#apply-mass-update").click()

    page.wait_for_url("**/leads/mass-updates/*/")
    panel = page.locator("#mass-update-progress")
    expect(panel.locator("progress")).to_be_visible()
    expect(panel.locator("h2")).to_have_text("Finished", timeout=USER_WAIT_MS)
    expect(page.locator("#mass-update-report")).to_contain_text("50 updated")
    expect(page.locator("#mass-update-changes")).to_contain_text("Hot")
    _shots(page, "result")
    with task_worker.quiet():
        job = MassUpdate.objects.get()
        assert job.updated_count == 50
        assert set(Lead.objects.values_list("rating", flat=True)) == {LeadRating.HOT}
        assert set(Lead.objects.values_list("owner_user_id", flat=True)) == {manager.pk}

    page.locator("#undo-mass-update").click()
    expect(panel.locator("h2")).to_have_text("Undone", timeout=USER_WAIT_MS)
    expect(page.locator("#undo-report")).to_contain_text("50 leads restored")
    _shots(page, "undone")
    with task_worker.quiet():
        assert _snapshot() == before
