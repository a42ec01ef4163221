"""Notifications by email, as each user chooses per kind: off, at once (sent by
the worker through a real SMTP server, aiosmtpd), or in the daily digest; and
EMAIL_URL configuring Django's mail."""

import json
import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from leads.services import lifecycle
from leads.services.routing import route_lead
from notifications.models import Channel, EmailState, Kind
from notifications.services.delivery import save_preferences
from notifications.services.email import send_digests, send_pending_emails
from notifications.tasks import send_digest
from tests.notification_helpers import to_user_rule, told, web_lead
from tests.support import run_python
from tests.task_worker import DATABASE_TASKS, queued_tasks, run_queued_tasks

pytestmark = pytest.mark.django_db


class _Collector:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that Django's SMTP backend sends
    to; its .messages are the envelopes it accepted."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = _Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "LeadSite <crm@example.com>"
    yield handler
    controller.stop()


def _headers(envelope):
    """(subject, To, body) of a message the SMTP server accepted."""
    message = message_from_bytes(envelope.content, policy=policy.default)
    return str(message["Subject"]), str(message["To"]), message.get_content()


def test_a_kind_turned_off_is_not_told(rep, manager):
    save_preferences(user=rep, channels={Kind.LEAD_ASSIGNED: Channel.OFF})
    to_user_rule(rep)
    route_lead(lead=web_lead(manager), by=manager)
    assert told(rep) == []


def test_email_at_once_is_sent_by_the_worker_through_smtp(rep, manager, settings, smtp):
    settings.TASKS = DATABASE_TASKS
    rep.email = "rep@example.com"
    rep.save()
    save_preferences(user=rep, channels={Kind.LEAD_ASSIGNED: Channel.EMAIL})
    to_user_rule(rep)
    lead = web_lead(manager)
    route_lead(lead=lead, by=manager)
    # The routing only queued the mailer; the worker sends.
    assert queued_tasks() == ["notifications.tasks.send_notification_emails"]
    assert smtp.messages == []
    run_queued_tasks()
    [envelope] = smtp.messages
    assert envelope.rcpt_tos == ["rep@example.com"]
    assert envelope.mail_from == "crm@example.com"
    subject, to, body = _headers(envelope)
    assert subject == f"LeadSite: {lead} was routed to you (lead form)."
    assert to == "rep@example.com"
    assert f"/leads/{lead.pk}/" in body and " · by " in body
    [note] = told(rep)
    assert note.email_state == EmailState.SENT and note.emailed_at is not None
    # Sent once: the next run has nothing to send.
    assert send_pending_emails() == 0


def test_a_failed_send_is_tried_again_by_the_next_run(rep, manager, settings, smtp):
    rep.email = "rep@example.com"
    rep.save()
    save_preferences(user=rep, channels={Kind.LEAD_ASSIGNED: Channel.EMAIL})
    to_user_rule(rep)
    route_lead(lead=web_lead(manager), by=manager)
    port, settings.EMAIL_PORT = settings.EMAIL_PORT, 9  # nobody listens there
    assert send_pending_emails() == 0
    [note] = told(rep)
    assert note.email_state == EmailState.PENDING and note.email_claimed_at is None
    settings.EMAIL_PORT = port
    assert send_pending_emails() == 1
    assert len(smtp.messages) == 1


def test_the_daily_digest_gathers_a_users_notifications_in_one_email(
    rep, manager, settings, smtp
):
    rep.email = "rep@example.com"
    rep.save()
    save_preferences(
        user=rep,
        channels={
            Kind.LEAD_ASSIGNED: Channel.DIGEST,
            Kind.LEAD_REASSIGNED: Channel.DIGEST,
        },
    )
    to_user_rule(rep)
    first, second = web_lead(manager), web_lead(manager)
    route_lead(lead=first, by=manager)
    route_lead(lead=second, by=manager)
    lifecycle.assign_lead(lead=second, by=manager, owner_user=manager)
    # Nothing goes at once.
    assert send_pending_emails() == 0 and smtp.messages == []
    assert [n.email_state for n in told(rep)] == [EmailState.DIGEST] * 3

    send_digest.call()  # the 07:00 job
    [envelope] = smtp.messages
    subject, to, body = _headers(envelope)
    assert subject == "LeadSite daily digest: 3 notifications"
    assert to == "rep@example.com"
    assert f"{first} was routed to you" in body
    assert f"{second} was assigned to {manager}." in body
    # The lead now outside the rep's scope is named, not linked.
    assert f"/leads/{first.pk}/" in body and f"/leads/{second.pk}/" not in body
    assert send_digests() == 0
    assert len(smtp.messages) == 1


PRINT_EMAIL = (
    "import json, leadsite.settings as s; print(json.dumps([s.EMAIL_BACKEND, "
    "s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, "
    "s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.DEFAULT_FROM_EMAIL]))"
)


def test_email_url_configures_django_mail():
    smtp = json.loads(
        run_python(
            PRINT_EMAIL,
            EMAIL_URL="smtp+tls://crm%40example.com:s3cret@mail.example.com:587",
            DEFAULT_FROM_EMAIL="CRM <crm@example.com>",
        )
    )
    assert smtp == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.com",
        587,
        "crm@example.com",
        "s3cret",
        True,
        False,
        "CRM <crm@example.com>",
    ]
    default = json.loads(run_python(PRINT_EMAIL))
    assert default[0] == "django.core.mail.backends.console.EmailBackend"
