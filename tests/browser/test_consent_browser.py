"""Consent in Chromium: a visitor fills in a capture form that asks for newsletter
consent with double opt-in and ticks it; the confirmation email's link confirms
it; the rep who owns the new lead sees the consent "Given" by double opt-in
confirmation on the lead page. Screenshots at desktop (1280) and phone (390)
widths in test-artifacts/consent/."""

import re
import time

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from leads.models import CaptureFormPurpose, ConsentPurpose, Lead
from leads.services.capture import save_capture_form
from tests import factories
from tests.browser.conftest import USER_WAIT_MS, save_screenshot

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = "test-artifacts/consent"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WORDING = "Yes, send me Contoso's monthly newsletter. I can unsubscribe at any time."


@pytest.fixture
def capture_form(org, rep):
    cache.clear()  # the capture rate limits
    rep.first_name, rep.last_name = "Rita", "Rep"
    rep.save()
    org.north.default_owner = rep
    org.north.save()
    form = factories.CaptureFormFactory(
        name="Website contact form",
        title="Talk to Contoso",
        business_unit=org.north,
        fields_shown=["first_name", "company_name"],
    )
    save_capture_form(by=None, instance=form, data={"double_opt_in": True})
    newsletter = ConsentPurpose.objects.create(name="Newsletter", code="newsletter")
    CaptureFormPurpose.objects.create(
        capture_form=form, purpose=newsletter, wording=WORDING, version="2025-01"
    )
    ConsentPurpose.objects.create(name="Sales follow-up", code="sales_follow_up")
    return form


def _shots(page, name):
    page.wait_for_load_state("networkidle")
    page.set_viewport_size(DESKTOP)
    save_screenshot(page, f"{SHOTS}/{name}-1280.png")
    page.set_viewport_size(PHONE)
    save_screenshot(page, f"{SHOTS}/{name}-390.png")
    page.set_viewport_size(DESKTOP)


def _confirmation_link() -> str:
    """The link in the confirmation email, once it has gone out."""
    deadline = time.monotonic() + USER_WAIT_MS / 1000
    while not mail.outbox:
        assert time.monotonic() < deadline, "no confirmation email was sent"
        time.sleep(0.05)
    [message] = mail.outbox
    assert message.to == ["dana@example.org"]
    return re.search(r"https?://\S+/consent/confirm/\S+/", message.body).group(0)


def test_a_visitor_confirms_consent_and_the_rep_sees_it_on_the_lead(
    page, login, capture_form
):
    page.set_viewport_size(DESKTOP)
    page.goto(f"/capture/{capture_form.token}/")
    page.get_by_label("First name").fill("Dana")
    page.get_by_label("Last name").fill("Scully")
    page.get_by_label("Email").fill("dana@example.org")
    page.get_by_label("Company", exact=True).fill("Blue Harbor Logistics")
    page.get_by_label("How can we help?").fill("A quote for 40 cargo bikes.")
    page.get_by_label(WORDING).check()
    _shots(page, "capture-form")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#capture-thanks")).to_be_visible()

    link = _confirmation_link()
    page.goto(link)
    expect(page.locator("#consent-confirmation")).to_have_attribute(
        "data-outcome", "confirmed"
    )
    expect(page.locator("main")).to_contain_text("Newsletter")
    _shots(page, "confirmed")
    page.goto(link)  # a second click: already confirmed, nothing new
    expect(page.get_by_role("heading", name="Already confirmed")).to_be_visible()

    lead = Lead.objects.get(email="dana@example.org")
    login("rep")
    page.goto(lead.get_absolute_url())
    state = page.locator('#consent li[data-purpose="newsletter"]')
    expect(state).to_have_attribute("data-status", "given")
    expect(state).to_contain_text("Given")
    expect(state).to_contain_text("Double opt-in confirmation")
    expect(state).to_contain_text("wording 2025-01")
    expect(page.locator('#consent li[data-purpose="sales_follow_up"]')).to_contain_text(
        "Not recorded"
    )
    page.locator("#consent").scroll_into_view_if_needed()
    _shots(page, "lead-consent")
    # The panel itself, its form open, at both widths.
    page.locator("#consent-record summary").click()
    expect(page.get_by_role("button", name="Record consent")).to_be_visible()
    for name, size in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        page.locator("#consent").screenshot(path=f"{SHOTS}/panel-{name}.png")
