"""Email from the record in Chromium as `rep`: open a lead, "Send email", pick a
template, preview the filled message, send; the worker sends it through a real
SMTP server (aiosmtpd) and the lead's timeline shows the email Sent. Screenshots
of the compose form, the preview and the timeline at desktop (1280) and phone
(390) widths in /tmp/shots/mailout/."""

import os
import re
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from playwright.sync_api import expect

from leads.models import EmailTemplate
from leads.services.emails import save_email_template
from leads.services.inbound import receive_message
from tests import factories
from tests.browser.conftest import USER_WAIT_MS, save_screenshot
from tests.notification_helpers import smtp_server, use_smtp

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = "test-artifacts/mailout"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def smtp(settings):
    with smtp_server() as (collector, port):
        use_smtp(settings, port)
        settings.DEFAULT_FROM_EMAIL = "LeadSite <crm@example.com>"
        settings.LEADSITE_REPLY_ADDRESS = "replies@crm.example.com"
        yield collector


@pytest.fixture
def lead(rep, administrator):
    rep.first_name, rep.last_name = "Rita", "Rep"
    rep.email_signature = "Rita Rep\nContoso Sales"
    rep.save()
    save_email_template(
        template=EmailTemplate(
            name="First contact",
            subject="{{ company }} and Contoso: a short call?",
            body="Hello {{ first_name }},\n\nwould a short call this week suit "
            "{{ company }}?\n\nBest regards,\n{{ signature }}",
        ),
        by=administrator,
    )
    return factories.LeadFactory(
        owner_user=rep,
        business_unit=rep.business_unit,
        first_name="Marta",
        last_name="Lindqvist",
        company_name="Nordic Freight",
        email="marta@nordicfreight.example",
        subject="Wants a fleet quote",
    )


def _shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.wait_for_load_state("networkidle")
    save_screenshot(page, f"{SHOTS}/{name}.png")


def _wait_until_sent(page, item):
    """Reload the lead page until its timeline shows the email sent (the worker
    runs in the background), as a user would."""
    deadline = time.monotonic() + USER_WAIT_MS / 1000
    state = item.locator(".email-state")
    while state.inner_text() != "Sent":
        assert time.monotonic() < deadline, "the email was never shown sent"
        page.reload()
        state.wait_for()


def test_rep_sends_an_email_from_a_template_and_sees_it_sent(
    page, login, task_worker, smtp, lead
):
    page.set_viewport_size(DESKTOP)
    login("rep")
    page.goto(lead.get_absolute_url())
    page.get_by_role("link", name="Send email").click()
    page.wait_for_url(re.compile(r"/emails/compose/"))
    page.get_by_label("Template").select_option(label="First contact")
    page.get_by_role("button", name="Use template").click()
    expect(page.get_by_label("Subject")).to_have_value(
        "{{ company }} and Contoso: a short call?"
    )
    _shot(page, "compose-1280")
    page.set_viewport_size(PHONE)
    _shot(page, "compose-390")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-subject")).to_have_text(
        "Nordic Freight and Contoso: a short call?"
    )
    expect(page.locator("#preview-body")).to_contain_text("Hello Marta,")
    expect(page.locator("#preview-body")).to_contain_text("Rita Rep\nContoso Sales")
    _shot(page, "preview-1280")
    page.set_viewport_size(PHONE)
    _shot(page, "preview-390")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("button", name="Send email").click()
    page.wait_for_url(re.compile(rf"/leads/{lead.pk}/"))
    expect(page.locator(".messages")).to_contain_text("queued for sending")
    item = page.locator("#timeline li.kind-activity").first
    expect(item).to_contain_text("Nordic Freight and Contoso: a short call?")
    _wait_until_sent(page, item)
    expect(item).to_contain_text("To Marta Lindqvist <marta@nordicfreight.example>")
    item.scroll_into_view_if_needed()
    _shot(page, "timeline-1280")
    page.set_viewport_size(PHONE)
    _shot(page, "timeline-390")

    [envelope] = smtp.messages
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == "Nordic Freight and Contoso: a short call?"
    assert message["Reply-To"].startswith("replies+")
    assert "Hello Marta," in message.get_content()

    # Marta answers: the reply comes back through the inbound service (as the IMAP
    # poll or the provider's webhook hand it over) and lands on the same lead, its
    # owner told by the bell.
    reply = EmailMessage()
    reply["From"] = "Marta Lindqvist <marta@nordicfreight.example>"
    reply["To"] = message["Reply-To"]
    reply["Subject"] = "Re: " + message["Subject"]
    reply["Message-ID"] = "<reply-1@nordicfreight.example>"
    reply["In-Reply-To"] = message["Message-ID"]
    reply.set_content("Hi Rita, Thursday at 10 works for us.\n\nMarta")
    receive_message(raw=reply.as_bytes(), transport="imap")
    page.set_viewport_size(DESKTOP)
    page.reload()
    received = page.locator("#timeline li.kind-activity").first
    expect(received).to_contain_text("Re: Nordic Freight and Contoso: a short call?")
    expect(received).to_contain_text("From Marta Lindqvist")
    expect(received.locator(".email-state")).to_have_text("Received")
    received.scroll_into_view_if_needed()
    _shot(page, "thread-1280")
    page.set_viewport_size(PHONE)
    _shot(page, "thread-390")
    page.set_viewport_size(DESKTOP)
    page.goto("/notifications/")
    expect(page.locator("main")).to_contain_text("Nordic Freight")
    _shot(page, "notifications-1280")
