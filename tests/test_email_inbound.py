"""Receiving mail (leads/services/inbound.py) and the provider's inbound webhook
(leads/api/mail.py, Mailgun's signed posts through django-anymail): replies land on
their record and tell its owner, new senders become routed leads, known senders
join their open lead, and repeats, machines, floods and oversize mail are handled."""

import hashlib
import hmac
import json
import time

import pytest
from django.utils import timezone

from leads.models import (
    Activity,
    ActivityKind,
    ActivityState,
    Attachment,
    Direction,
    EmailMessage,
    EmailState,
    InboundMessage,
    InboundOutcome,
    Lead,
    LeadSource,
    LeadStatus,
    MailAlias,
    Note,
)
from leads.services.emails import queue_email, reply_address
from leads.services.inbound import receive_message
from notifications.models import Kind, Notification
from tests import factories
from tests.imap_helpers import bounce_mail, build_mail

ALIAS = "sales@inbound.example.com"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.LEADSITE_REPLY_ADDRESS = "replies@crm.example.com"
    settings.LEADSITE_INBOUND_RATE_PER_SENDER = "20/h"
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "test-signing-key"}


@pytest.fixture
def alias(org, manager):
    """North's alias; North's manager takes what no rule routes."""
    return MailAlias.objects.create(address=ALIAS, business_unit=org.north)


@pytest.fixture
def sent(rep):
    """An email the rep sent from a lead they own."""
    lead = factories.LeadFactory(
        owner_user=rep, email="jane@customer.example", last_name="Doe"
    )
    return queue_email(record=lead, by=rep, subject="Our offer", body="Hello Jane")


def receive(raw, alias=None, **kwargs):
    return receive_message(raw=raw, transport="imap", alias=alias, **kwargs)


# --- replies ------------------------------------------------------------------------


def test_a_reply_to_the_reply_address_lands_on_the_lead_and_tells_its_owner(sent, rep):
    raw = build_mail(
        to=reply_address(sent.reply_token), subject="Re: Our offer", body="Yes!"
    )
    received = receive(raw)
    assert received.receipt.outcome == InboundOutcome.REPLY
    reply = EmailMessage.objects.get(direction=Direction.INCOMING)
    assert (reply.lead, reply.parent, reply.state) == (
        sent.lead,
        sent,
        EmailState.RECEIVED,
    )
    assert reply.body == "Yes!"
    activity = reply.activity
    assert (activity.kind, activity.direction, activity.state, activity.lead) == (
        ActivityKind.EMAIL,
        Direction.INCOMING,
        ActivityState.COMPLETED,
        sent.lead,
    )
    note = Notification.objects.get(user=rep, kind=Kind.EMAIL_RECEIVED)
    assert "A reply from Jane Doe" in note.text and "Re: Our offer" in note.text
    assert (note.target_type, note.target_id) == ("leads.lead", sent.lead.pk)


def test_a_reply_found_by_in_reply_to_lands_on_the_account(rep):
    account = factories.AccountFactory(owner_user=rep, email="buyer@customer.example")
    contact = factories.ContactFactory(
        owner_user=rep, account=account, email="buyer@customer.example"
    )
    sent = queue_email(record=contact, by=rep, subject="Renewal", body="Hi")
    raw = build_mail(
        sender="buyer@customer.example",
        to="someone-else@crm.example.com",
        subject="Re: Renewal",
        headers={"In-Reply-To": sent.message_id, "References": sent.message_id},
    )
    assert receive(raw).receipt.outcome == InboundOutcome.REPLY
    reply = EmailMessage.objects.get(direction=Direction.INCOMING)
    assert (reply.contact, reply.parent) == (contact, sent)
    assert Notification.objects.filter(user=rep, kind=Kind.EMAIL_RECEIVED).exists()


def test_a_reply_never_tells_the_owner_of_their_own_mail(sent, rep):
    rep.email = "rep@crm.example.com"
    rep.save(update_fields=["email"])
    raw = build_mail(
        sender="Rep <rep@crm.example.com>", to=reply_address(sent.reply_token)
    )
    assert receive(raw).receipt.outcome == InboundOutcome.REPLY
    assert not Notification.objects.filter(kind=Kind.EMAIL_RECEIVED).exists()


def test_a_replys_attachments_go_through_the_upload_checks(sent):
    raw = build_mail(
        to=reply_address(sent.reply_token),
        attachments=[
            ("offer.pdf", "application/pdf", PDF),
            ("tool.exe", "application/octet-stream", b"MZ\x90\x00" + b"\x00" * 60),
        ],
    )
    receive(raw)
    kept = Attachment.objects.get(lead=sent.lead)
    assert (kept.original_name, kept.content_type) == ("offer.pdf", "application/pdf")
    note = Note.objects.get(lead=sent.lead)
    assert "tool.exe was not kept" in note.text


def test_a_reply_does_not_mark_a_new_lead_contacted(rep):
    lead = factories.LeadFactory(owner_user=rep, email="jane@customer.example")
    sent = queue_email(record=lead, by=rep, subject="Hi", body="Hi")
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.NEW)
    receive(build_mail(to=reply_address(sent.reply_token)))
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


# --- new leads ----------------------------------------------------------------------


def test_a_new_sender_becomes_one_routed_lead(alias, org, manager):
    raw = build_mail(subject="Pricing for 40 seats", body="Send me prices please.")
    received = receive(raw, alias)
    assert received.receipt.outcome == InboundOutcome.LEAD_CREATED
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.email) == (
        "Jane",
        "Doe",
        "jane@customer.example",
    )
    assert (lead.subject, lead.source, lead.business_unit) == (
        "Pricing for 40 seats",
        LeadSource.EMAIL,
        org.north,
    )
    assert lead.original_message == "Send me prices please."
    assert lead.status == LeadStatus.NEW
    assert lead.owner_user == manager
    assert lead.assignments.filter(trigger="capture").exists()
    assert Notification.objects.filter(user=manager, kind=Kind.LEAD_ASSIGNED).exists()
    email = EmailMessage.objects.get()
    assert (email.lead, email.direction) == (lead, Direction.INCOMING)
    assert received.receipt.lead == lead


def test_a_capture_form_alias_makes_the_forms_lead(org, manager):
    campaign = factories.CampaignFactory(business_unit=org.north)
    form = factories.CaptureFormFactory(business_unit=org.north, campaign=campaign)
    form_alias = MailAlias.objects.create(
        address="expo@inbound.example.com", capture_form=form
    )
    receive(build_mail(to="expo@inbound.example.com"), form_alias)
    lead = Lead.objects.get()
    assert (lead.capture_form, lead.campaign, lead.source) == (
        form,
        campaign,
        LeadSource.EMAIL,
    )


def test_a_known_senders_mail_joins_their_open_lead(alias, rep):
    lead = factories.LeadFactory(owner_user=rep, email="Jane@Customer.example")
    received = receive(build_mail(subject="One more question"), alias)
    assert received.receipt.outcome == InboundOutcome.JOINED_LEAD
    assert Lead.objects.count() == 1
    assert EmailMessage.objects.get().lead == lead
    assert Notification.objects.filter(user=rep, kind=Kind.EMAIL_RECEIVED).exists()


def test_a_sender_with_a_closed_lead_gets_a_new_one_flagged_as_duplicate(alias, rep):
    closed = factories.LeadFactory(
        owner_user=rep, email="jane@customer.example", disqualified=True
    )
    receive(build_mail(), alias)
    new = Lead.objects.exclude(pk=closed.pk).get()
    assert new.possible_duplicates.filter(matched_lead=closed).exists()


def test_the_same_message_twice_makes_one_lead(alias):
    raw = build_mail()
    assert receive(raw, alias).new
    again = receive(raw, alias)
    assert not again.new
    assert Lead.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_a_message_without_message_id_twice_makes_one_lead(alias):
    raw = build_mail(message_id=None)
    receive(raw, alias)
    receive(raw, alias)
    assert Lead.objects.count() == 1
    assert InboundMessage.objects.get().message_id.endswith(
        "@inbound.leadsite.invalid>"
    )


def test_mail_to_no_alias_that_answers_nothing_is_refused(org):
    received = receive(build_mail(to="random@crm.example.com"))
    assert received.receipt.outcome == InboundOutcome.REFUSED
    assert not Lead.objects.exists() and not EmailMessage.objects.exists()


# --- loops and floods ---------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Precedence": "bulk"},
        {"Precedence": "auto_reply"},
        {"Return-Path": "<>"},
    ],
)
def test_an_auto_reply_makes_no_lead(alias, headers):
    received = receive(build_mail(headers=headers), alias)
    assert received.receipt.outcome in (
        InboundOutcome.AUTO_REPLY,
        InboundOutcome.BOUNCE,
    )
    assert not Lead.objects.exists() and not Activity.objects.exists()


def test_an_out_of_office_reply_to_a_sent_email_stays_off_the_timeline(sent):
    raw = build_mail(
        to=reply_address(sent.reply_token), headers={"Auto-Submitted": "auto-replied"}
    )
    assert receive(raw).receipt.outcome == InboundOutcome.AUTO_REPLY
    assert not EmailMessage.objects.filter(direction=Direction.INCOMING).exists()


def test_a_bounce_makes_no_lead(alias):
    received = receive(bounce_mail(original_message_id="<x@crm.example.com>"), alias)
    assert received.receipt.outcome == InboundOutcome.BOUNCE
    assert not Lead.objects.exists()


def test_mail_from_our_own_reply_address_is_a_loop(alias):
    raw = build_mail(sender="replies+abcdefghijk@crm.example.com")
    assert receive(raw, alias).receipt.outcome == InboundOutcome.AUTO_REPLY
    assert not Lead.objects.exists()


def test_a_sender_over_the_rate_limit_is_dropped(alias, settings):
    settings.LEADSITE_INBOUND_RATE_PER_SENDER = "2/h"
    outcomes = [receive(build_mail(), alias).receipt.outcome for _ in range(3)]
    assert outcomes == [
        InboundOutcome.LEAD_CREATED,
        InboundOutcome.JOINED_LEAD,
        InboundOutcome.RATE_LIMITED,
    ]
    assert EmailMessage.objects.count() == 2
    # An hour on, the sender is welcome again.
    later = timezone.now() + timezone.timedelta(hours=1, minutes=1)
    assert receive(build_mail(), alias, now=later).receipt.outcome == (
        InboundOutcome.JOINED_LEAD
    )


def test_an_oversize_message_keeps_its_text_and_a_note_of_what_was_dropped(
    alias, settings
):
    settings.LEADSITE_INBOUND_MAX_SIZE = 4000
    raw = build_mail(
        body="Please see the attached brochure.",
        attachments=[("brochure.pdf", "application/pdf", PDF * 200)],
    )
    receive(raw, alias)
    lead = Lead.objects.get()
    assert (
        EmailMessage.objects.get(lead=lead).body == "Please see the attached brochure."
    )
    assert not Attachment.objects.exists()
    note = Note.objects.get(lead=lead)
    assert "over the" in note.text and "brochure.pdf" in note.text


# --- the provider's webhook (Mailgun through anymail) -------------------------------

URL = "/inbound/email/mailgun/"


def _signed(fields, *, key="test-signing-key", timestamp=None, token="tok-1"):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(
        key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    return {**fields, "timestamp": timestamp, "token": token, "signature": signature}


def _post_fields(*, message_id="<web-1@customer.example>", to=ALIAS):
    headers = [
        ["From", "Jane Doe <jane@customer.example>"],
        ["To", to],
        ["Subject", "Pricing for 40 seats"],
        ["Message-Id", message_id],
    ]
    return {
        "recipient": to,
        "sender": "jane@customer.example",
        "from": "Jane Doe <jane@customer.example>",
        "subject": "Pricing for 40 seats",
        "body-plain": "Send me prices please.",
        "message-headers": json.dumps(headers),
    }


def test_a_signed_post_becomes_a_lead(client, alias):
    response = client.post(URL, _signed(_post_fields()))
    assert response.status_code == 200
    lead = Lead.objects.get()
    assert (lead.email, lead.source) == ("jane@customer.example", LeadSource.EMAIL)
    assert InboundMessage.objects.get().transport == "webhook"


def test_a_signed_reply_post_lands_on_the_record(client, sent):
    to = reply_address(sent.reply_token)
    response = client.post(URL, _signed(_post_fields(to=to)))
    assert response.status_code == 200
    assert EmailMessage.objects.get(direction=Direction.INCOMING).parent == sent


def test_unsigned_or_wrongly_signed_posts_are_refused(client, alias):
    assert client.post(URL, _post_fields()).status_code == 400
    forged = _signed(_post_fields(), key="not-the-key")
    assert client.post(URL, forged).status_code == 400
    assert not InboundMessage.objects.exists() and not Lead.objects.exists()


def test_a_replayed_post_is_refused(client, alias):
    post = _signed(_post_fields())
    assert client.post(URL, post).status_code == 200
    assert client.post(URL, post).status_code == 400
    stale = _signed(_post_fields(message_id="<web-2@x>"), timestamp=1, token="tok-2")
    assert client.post(URL, stale).status_code == 400
    assert Lead.objects.count() == 1


def test_the_same_message_posted_twice_with_fresh_tokens_makes_one_lead(client, alias):
    assert client.post(URL, _signed(_post_fields(), token="a")).status_code == 200
    assert client.post(URL, _signed(_post_fields(), token="b")).status_code == 200
    assert Lead.objects.count() == 1


def test_without_a_signing_key_the_webhook_is_not_there(client, alias, settings):
    settings.ANYMAIL = {}
    assert client.post(URL, _signed(_post_fields())).status_code == 404
    assert not InboundMessage.objects.exists()


# --- the admin ----------------------------------------------------------------------


def test_the_alias_admin_never_shows_the_password_and_blank_keeps_it(
    admin_client_, org
):
    alias = MailAlias.objects.create(
        address="imap@inbound.example.com",
        business_unit=org.north,
        imap_host="imap.example.com",
        imap_username="inbox",
        imap_password="s3cret-pass",
    )
    url = f"/admin/leads/mailalias/{alias.pk}/change/"
    page = admin_client_.get(url)
    assert page.status_code == 200 and b"s3cret-pass" not in page.content
    response = admin_client_.post(
        url,
        {
            "address": "IMAP@inbound.example.com",
            "business_unit": org.north.pk,
            "is_active": "on",
            "imap_host": "imap.example.com",
            "imap_port": "993",
            "imap_tls": "on",
            "imap_username": "inbox",
            "imap_password": "",
            "imap_folder": "INBOX",
        },
    )
    assert response.status_code == 302
    alias.refresh_from_db()
    assert (alias.address, alias.imap_password) == (
        "imap@inbound.example.com",
        "s3cret-pass",
    )
