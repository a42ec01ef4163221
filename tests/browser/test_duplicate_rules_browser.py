"""Duplicate rules in Chromium: an administrator publishes a block rule ("same
email") in the rule editor; a rep who then enters a lead with a known email is
refused, with the existing lead shown and no "Save anyway". The editor and the
refusal at desktop (1280) and phone (390) width, in /tmp/shots/duprules/."""

import os

import pytest
from playwright.sync_api import expect

from leads.models import DuplicateRule, Lead
from tests import factories
from tests.browser.conftest import save_screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHOTS = "test-artifacts/duprules"


def _shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    save_screenshot(page, f"{SHOTS}/{name}.png")


def test_admin_publishes_a_block_rule_and_a_reps_duplicate_is_refused(
    page, login, administrator, rep
):
    existing = factories.LeadFactory(
        owner_user=rep, last_name="Lindqvist", email="marta@nordic.example"
    )
    login("administrator")
    page.set_viewport_size(DESKTOP)
    page.goto("/duplicates/")
    page.get_by_role("link", name="New rule").click()
    page.wait_for_url("**/duplicates/rules/new/")
    page.fill("[name=name]", "same email, refused")
    page.select_option("[name=action]", "block")
    page.select_option("[name=field_0]", "email")
    page.select_option("[name=method_0]", "email")
    _shot(page, "rule-editor-1280")
    page.set_viewport_size(PHONE)
    _shot(page, "rule-editor-390")
    page.get_by_role("button", name="Save and publish").click()
    page.wait_for_url("**/duplicates/")
    rules = page.locator("#duplicate-rules")
    expect(rules).to_contain_text("same email, refused")
    expect(rules).to_contain_text("Block")
    rule = DuplicateRule.objects.get(name="same email, refused")
    assert (rule.is_published, rule.action) == (True, "block")

    page.context.clear_cookies()
    login("rep")
    page.set_viewport_size(DESKTOP)
    page.goto("/leads/new/")
    page.fill("[name=subject]", "Fleet quote again")
    page.fill("[name=last_name]", "Lindqvist")
    page.fill("[name=email]", "Marta@Nordic.example")
    page.get_by_role("button", name="Create lead").click()
    refusal = page.locator(".duplicates")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("Not saved")
    expect(refusal).to_contain_text("same email, refused")
    expect(refusal.locator(f"a[href='{existing.get_absolute_url()}']")).to_have_count(1)
    expect(page.get_by_role("button", name="Save anyway")).to_have_count(0)
    _shot(page, "refusal-1280")
    page.set_viewport_size(PHONE)
    expect(page.locator(".duplicates")).to_be_visible()
    _shot(page, "refusal-390")
    assert Lead.objects.filter(last_name="Lindqvist").count() == 1
