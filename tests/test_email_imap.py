"""Inbound mail from an IMAP mailbox (leads/services/mailboxes.py) against a real
Dovecot over TLS (tests/imap_helpers.py; skipped with the reason where Dovecot is
not installed): messages are stored, then marked seen; a poll that dies anywhere
in between, even a worker process killed outright, loses and duplicates nothing."""

import signal
import subprocess
import sys

import pytest
from django.db import connection

from leads.mail.imap import MailboxError
from leads.models import (
    Direction,
    EmailMessage,
    InboundMessage,
    InboundOutcome,
    Lead,
    LeadSource,
    MailAlias,
)
from leads.services import mailboxes
from leads.services.emails import queue_email, reply_address
from leads.services.mailboxes import poll_alias
from leads.tasks import poll_mailboxes
from tests import factories
from tests.imap_helpers import build_mail, dovecot_missing_reason, dovecot_server
from tests.support import BASE_DIR, clean_env, on_postgresql

pytestmark = pytest.mark.skipif(
    dovecot_missing_reason() is not None, reason=str(dovecot_missing_reason())
)


@pytest.fixture(scope="module")
def server():
    with dovecot_server() as running:
        yield running


@pytest.fixture
def dovecot(server):
    """The server with an empty inbox."""
    conn = server.client()
    try:
        conn.uid("STORE", "1:*", "+FLAGS.SILENT", "(\\Deleted)")
        conn.expunge()
    finally:
        conn.logout()
    return server


@pytest.fixture
def alias(org, manager, dovecot, settings):
    settings.LEADSITE_IMAP_CA_FILE = dovecot.ca_file
    settings.LEADSITE_REPLY_ADDRESS = "replies@crm.example.com"
    return MailAlias.objects.create(
        address="sales@inbound.example.com",
        business_unit=org.north,
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_username=dovecot.username,
        imap_password=dovecot.password,
        imap_tls=True,
    )


def _three_messages():
    return [
        build_mail(sender="Ann One <ann@one.example>", subject="First"),
        build_mail(sender="Bob Two <bob@two.example>", subject="Second"),
        build_mail(sender="Cy Three <cy@three.example>", subject="Third"),
    ]


def test_the_scheduled_poll_stores_new_leads_replies_and_skips_auto_replies(
    alias, dovecot, rep
):
    lead = factories.LeadFactory(owner_user=rep, email="jane@customer.example")
    sent = queue_email(record=lead, by=rep, subject="Our offer", body="Hello")
    dovecot.deliver(
        build_mail(sender="New Person <new@person.example>", subject="Hello"),
        build_mail(to=reply_address(sent.reply_token), subject="Re: Our offer"),
        build_mail(
            sender="ooo@person.example", headers={"Auto-Submitted": "auto-replied"}
        ),
    )
    assert dovecot.flags() == [set(), set(), set()]
    poll_mailboxes.call()
    new = Lead.objects.get(email="new@person.example")
    assert (new.source, new.business_unit) == (LeadSource.EMAIL, alias.business_unit)
    reply = EmailMessage.objects.get(direction=Direction.INCOMING, parent=sent)
    assert reply.lead == lead
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {
        InboundOutcome.LEAD_CREATED,
        InboundOutcome.REPLY,
        InboundOutcome.AUTO_REPLY,
    }
    assert Lead.objects.count() == 2
    assert all("\\Seen" in flags for flags in dovecot.flags())
    alias.refresh_from_db()
    assert alias.last_polled_at is not None and alias.last_error == ""


def test_a_message_that_fails_to_store_stays_unseen_for_the_next_poll(
    alias, dovecot, monkeypatch
):
    dovecot.deliver(*_three_messages())
    real = mailboxes.receive_message

    def fail_second(**kwargs):
        if b"Subject: Second" in kwargs["raw"]:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(mailboxes, "receive_message", fail_second)
    result = poll_alias(alias=alias)
    assert result.stored == 2 and len(result.errors) == 1
    assert ["\\Seen" in flags for flags in dovecot.flags()] == [True, False, True]
    alias.refresh_from_db()
    assert "database went away" in alias.last_error
    monkeypatch.setattr(mailboxes, "receive_message", real)
    assert poll_alias(alias=alias).stored == 1
    assert sorted(Lead.objects.values_list("subject", flat=True)) == [
        "First",
        "Second",
        "Third",
    ]
    assert all("\\Seen" in flags for flags in dovecot.flags())


def test_the_same_message_fetched_twice_makes_one_lead(alias, dovecot):
    raw = build_mail()
    dovecot.deliver(raw, raw)
    result = poll_alias(alias=alias)
    assert (result.stored, result.repeated) == (1, 1)
    assert Lead.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert all("\\Seen" in flags for flags in dovecot.flags())


def test_a_poll_cut_off_between_storing_and_marking_stores_each_message_once(
    alias, dovecot, monkeypatch
):
    dovecot.deliver(*_three_messages())

    def connection_lost(self, uid):
        raise MailboxError("connection reset")

    monkeypatch.setattr(mailboxes.Mailbox, "mark_seen", connection_lost)
    assert poll_alias(alias=alias).stored == 1
    assert dovecot.flags() == [set(), set(), set()]
    monkeypatch.undo()
    result = poll_alias(alias=alias)
    assert (result.stored, result.repeated) == (2, 1)
    assert Lead.objects.count() == 3 and InboundMessage.objects.count() == 3
    assert all("\\Seen" in flags for flags in dovecot.flags())


def test_a_wrong_password_is_recorded_on_the_alias(alias, dovecot):
    alias.imap_password = "wrong"
    alias.save()
    result = poll_alias(alias=alias)
    assert result.errors and not InboundMessage.objects.exists()
    alias.refresh_from_db()
    assert "Login" in alias.last_error or "authentication" in alias.last_error.lower()


def test_an_untrusted_certificate_is_refused(alias, dovecot, settings):
    settings.LEADSITE_IMAP_CA_FILE = ""
    dovecot.deliver(build_mail())
    result = poll_alias(alias=alias)
    assert result.errors and "CERTIFICATE" in result.errors[0].upper()
    assert not InboundMessage.objects.exists()


# Runs one poll in its own process; right after the first message is stored (its
# transaction committed) and before it is marked seen, says so and waits for stdin,
# where the test kills it.
KILLED_POLL = """
import sys
import django
django.setup()
from leads.models import MailAlias
from leads.services import mailboxes
real = mailboxes.receive_message
def store_then_hang(**kwargs):
    received = real(**kwargs)
    print("stored", flush=True)
    sys.stdin.read()
    return received
mailboxes.receive_message = store_then_hang
mailboxes.poll_alias(alias=MailAlias.objects.get(pk={pk}))
"""


@on_postgresql
def test_a_worker_killed_mid_poll_loses_nothing(alias, dovecot):
    dovecot.deliver(*_three_messages())
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_POLL.format(pk=alias.pk)],
        cwd=BASE_DIR,
        env=clean_env(
            DATABASE_URL=url,
            LEADSITE_IMAP_CA_FILE=dovecot.ca_file,
            LEADSITE_REPLY_ADDRESS="replies@crm.example.com",
            DJANGO_SETTINGS_MODULE="leadsite.settings",
        ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = worker.stdout.readline()
        assert line == "stored\n", worker.stderr.read()
        # Stored and committed, not yet marked seen: the worker dies here.
        assert InboundMessage.objects.count() == 1
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    assert dovecot.flags() == [set(), set(), set()]
    result = poll_alias(alias=alias)
    assert (result.stored, result.repeated) == (2, 1)
    assert sorted(Lead.objects.values_list("subject", flat=True)) == [
        "First",
        "Second",
        "Third",
    ]
    assert InboundMessage.objects.count() == 3
    assert all("\\Seen" in flags for flags in dovecot.flags())
