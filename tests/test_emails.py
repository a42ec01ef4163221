"""Email from the record, sent by the worker: end to end through a real SMTP
server (aiosmtpd) with our headers, retries after a refused connection, "Try
again" sending exactly once, two racing runs sending once, do-not-email refused
by the service, and django-anymail configured by settings alone."""

import datetime
import json
from email import message_from_bytes, policy

import pytest
from anymail.message import AnymailRecipientStatus
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leads.models import (
    ActivityState,
    EmailMessage,
    EmailState,
    EmailTemplate,
    Lead,
    LeadStatus,
)
from leads.services import emails as email_services
from leads.services.emails import (
    deliver_email,
    queue_email,
    reply_address,
    save_email_template,
)
from leads.tasks import enqueue_send, send_queued_emails
from tests import factories
from tests.notification_helpers import free_port, smtp_server, use_smtp
from tests.reading import page
from tests.support import on_postgresql, run_python, run_together
from tests.task_worker import DATABASE_TASKS, queued_tasks, run_queued_tasks

pytestmark = pytest.mark.django_db

WELCOME_BODY = (
    "Hello {{ first_name }},\n\nThanks for your interest, {{ company }} is in good "
    "hands with {{owner_name}}.\n\n{{ signature }}"
)


@pytest.fixture
def smtp(settings):
    """A real SMTP server that Django's SMTP backend sends to (the mail settings
    as EMAIL_URL=smtp://127.0.0.1:PORT gives them)."""
    with smtp_server() as (collector, port):
        use_smtp(settings, port)
        collector.port = port
        yield collector


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.DEFAULT_FROM_EMAIL = "LeadSite <crm@example.com>"
    settings.LEADSITE_REPLY_ADDRESS = "replies@crm.example.com"
    settings.LEADSITE_MESSAGE_ID_DOMAIN = "crm.example.com"


@pytest.fixture
def template(administrator):
    return save_email_template(
        template=EmailTemplate(
            name="Welcome",
            subject="Welcome to Contoso, {{ first_name }}",
            body=WELCOME_BODY,
        ),
        by=administrator,
    )


def _lead(rep, **kwargs):
    fields = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company_name": "Analytical Engines",
        "email": "ada@engines.example",
        **kwargs,
    }
    return factories.LeadFactory(
        owner_user=rep, business_unit=rep.business_unit, **fields
    )


def _queue(rep, record, template=None, **kwargs):
    return queue_email(
        record=record,
        by=rep,
        subject=kwargs.pop("subject", template.subject if template else "Hello"),
        body=kwargs.pop("body", template.body if template else "Hi {{ first_name }}"),
        template=template,
    )


def _parsed(envelope):
    return message_from_bytes(envelope.content, policy=policy.default)


def _timeline_item(client, record, email):
    html = client.get(record.get_absolute_url()).content.decode()
    return page(html).find("li", id=f"activity-{email.activity_id}")


def test_an_email_goes_out_through_smtp_with_our_headers_and_shows_sent(
    rep, rep_client, settings, smtp, template
):
    settings.TASKS = DATABASE_TASKS
    rep.first_name, rep.last_name = "Rita", "Rep"
    rep.email_signature = "Rita Rep\nContoso Sales"
    rep.save()
    lead = _lead(rep)
    email = _queue(rep, lead, template)
    enqueue_send(email.pk)
    # Queueing only queued the worker's task.
    assert queued_tasks() == ["leads.tasks.send_email"]
    assert smtp.messages == []
    assert "Queued" in _timeline_item(rep_client, lead, email).text

    run_queued_tasks()

    [envelope] = smtp.messages
    assert envelope.rcpt_tos == ["ada@engines.example"]
    assert envelope.mail_from == "crm@example.com"
    message = _parsed(envelope)
    email.refresh_from_db()
    assert message["Message-ID"] == email.message_id
    assert email.message_id.endswith("@crm.example.com>")
    assert message["Reply-To"] == f"replies+{email.reply_token}@crm.example.com"
    assert len(email.reply_token) == 32
    assert message["From"] == "Rita Rep <crm@example.com>"
    assert message["To"] == "Ada Lovelace <ada@engines.example>"
    assert message["Subject"] == "Welcome to Contoso, Ada"
    assert message.get_content().replace("\r\n", "\n").strip() == (
        "Hello Ada,\n\nThanks for your interest, Analytical Engines is in good "
        "hands with Rita Rep.\n\nRita Rep\nContoso Sales"
    )
    assert email.state == EmailState.SENT and email.attempts == 1
    item = _timeline_item(rep_client, lead, email)
    assert item.find("span", css="email-state").text == "Sent"
    assert "To Ada Lovelace <ada@engines.example> · sent" in item.text
    # The Email activity is done, and the New lead was contacted by it.
    assert email.activity.__class__.objects.get(pk=email.activity_id).state == (
        ActivityState.COMPLETED
    )
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONTACTED
    # Sent once: nothing is left for the sweep.
    assert send_queued_emails.call() == {}
    assert len(smtp.messages) == 1


def test_a_refused_connection_fails_with_the_reason_and_try_again_sends_once(
    rep, rep_client, settings, smtp
):
    settings.TASKS = DATABASE_TASKS
    settings.LEADSITE_EMAIL_MAX_ATTEMPTS = 2
    settings.LEADSITE_EMAIL_RETRY_BASE_SECONDS = 0
    settings.EMAIL_PORT = free_port()  # nobody listens: connection refused
    lead = _lead(rep)
    email = _queue(rep, lead)
    enqueue_send(email.pk)

    ran = run_queued_tasks()  # the first attempt, and its retry

    assert [r.task_path for r in ran] == ["leads.tasks.send_email"] * 2
    email.refresh_from_db()
    assert email.state == EmailState.FAILED and email.attempts == 2
    assert "ConnectionRefusedError" in email.failure_reason
    item = _timeline_item(rep_client, lead, email)
    assert item.find("span", css="email-state").text == "Failed"
    assert "Not sent: ConnectionRefusedError" in item.text
    retry = item.find("form")
    assert retry.attrs["action"] == reverse("leads:retry-email", args=[email.pk])

    settings.EMAIL_PORT = smtp.port  # the server is back
    response = rep_client.post(retry.attrs["action"], {"next": lead.get_absolute_url()})
    assert response.status_code == 302
    # Pressed twice (a double click): the second finds it queued, not failed.
    rep_client.post(retry.attrs["action"])
    assert queued_tasks() == ["leads.tasks.send_email"]
    run_queued_tasks()

    assert len(smtp.messages) == 1
    email.refresh_from_db()
    assert email.state == EmailState.SENT and email.failure_reason == ""
    assert deliver_email(email_id=email.pk).state == "skipped"
    assert len(smtp.messages) == 1


def test_a_temporary_failure_is_tried_again_later_with_backoff(
    rep, rep_client, settings, smtp
):
    settings.TASKS = DATABASE_TASKS
    settings.LEADSITE_EMAIL_RETRY_BASE_SECONDS = 120
    smtp.refuse = "451 Try again later"
    lead = _lead(rep)
    email = _queue(rep, lead)
    enqueue_send(email.pk)
    before = timezone.now()

    run_queued_tasks()

    email.refresh_from_db()
    assert email.state == EmailState.QUEUED and email.attempts == 1
    assert "451" in email.failure_reason
    assert email.next_attempt_at >= before + datetime.timedelta(seconds=119)
    # The retry waits in the queue for its time; the sweep leaves it too.
    deferred = DBTaskResult.objects.get(
        task_path="leads.tasks.send_email", status="READY"
    )
    assert deferred.run_after == email.next_attempt_at
    assert queued_tasks() == []
    assert send_queued_emails.call() == {}
    assert "tried again shortly" in _timeline_item(rep_client, lead, email).text

    # Its time comes: the sweep (or the deferred task) sends it.
    smtp.refuse = ""
    EmailMessage.objects.filter(pk=email.pk).update(next_attempt_at=before)
    assert send_queued_emails.call() == {"sent": 1}
    assert len(smtp.messages) == 1


def test_a_run_finding_the_email_claimed_by_a_running_worker_skips_it(rep, smtp):
    email = _queue(rep, _lead(rep))
    EmailMessage.objects.filter(pk=email.pk).update(claimed_at=timezone.now())
    assert deliver_email(email_id=email.pk).state == "skipped"
    # A claim older than the hold is a dead worker's: the next run sends.
    stale = timezone.now() - datetime.timedelta(hours=1)
    EmailMessage.objects.filter(pk=email.pk).update(claimed_at=stale)
    assert deliver_email(email_id=email.pk).state == EmailState.SENT
    assert len(smtp.messages) == 1


@on_postgresql
def test_two_runs_at_once_send_the_email_once(rep, smtp):
    email = _queue(rep, _lead(rep))
    outcomes = run_together(
        lambda: deliver_email(email_id=email.pk).state,
        lambda: deliver_email(email_id=email.pk).state,
    )
    assert sorted(outcome for _, outcome in outcomes) == ["sent", "skipped"]
    assert len(smtp.messages) == 1


def test_do_not_email_is_refused_by_the_service(rep, smtp):
    lead = _lead(rep, do_not_email=True)
    with pytest.raises(ValidationError, match="does not allow email"):
        _queue(rep, lead)
    contact = factories.ContactFactory(owner_user=rep, do_not_email=True)
    with pytest.raises(ValidationError, match="This contact does not allow email"):
        _queue(rep, contact)
    opportunity = factories.OpportunityFactory(owner_user=rep, contact=contact)
    with pytest.raises(ValidationError, match="This contact does not allow email"):
        _queue(rep, opportunity)
    assert EmailMessage.objects.count() == 0


def test_a_person_marked_do_not_email_after_queueing_is_not_sent(rep, smtp):
    lead = _lead(rep)
    email = _queue(rep, lead)
    Lead.objects.filter(pk=lead.pk).update(do_not_email=True)
    assert deliver_email(email_id=email.pk).state == EmailState.FAILED
    email.refresh_from_db()
    assert "does not allow email" in email.failure_reason
    assert smtp.messages == []


def test_accounts_and_opportunities_write_to_their_addresses(rep, smtp):
    account = factories.AccountFactory(
        owner_user=rep, name="Fabrikam", email="office@fabrikam.example"
    )
    contact = factories.ContactFactory(
        owner_user=rep,
        first_name="Bo",
        last_name="Berg",
        email="bo@fabrikam.example",
        account=account,
    )
    with_contact = factories.OpportunityFactory(
        owner_user=rep, account=account, contact=contact
    )
    account_only = factories.OpportunityFactory(owner_user=rep, account=account)
    for record, to in [
        (account, "Fabrikam <office@fabrikam.example>"),
        (contact, "Bo Berg <bo@fabrikam.example>"),
        (with_contact, "Bo Berg <bo@fabrikam.example>"),
        (account_only, "Fabrikam <office@fabrikam.example>"),
    ]:
        email = _queue(rep, record, body="Hi {{ full_name }} at {{ company }}")
        assert email.to_address == to
        assert email.regarding == record
    assert EmailMessage.objects.get(contact=contact).body == "Hi Bo Berg at Fabrikam"
    without = factories.AccountFactory(owner_user=rep, email="")
    with pytest.raises(ValidationError, match="no email address"):
        _queue(rep, without)


def test_a_template_renders_for_each_record(rep, template):
    first = _queue(rep, _lead(rep), template)
    second = _queue(
        rep,
        _lead(rep, first_name="Grace", company_name="Navy", email="g@navy.example"),
        template,
    )
    assert first.subject == "Welcome to Contoso, Ada"
    assert second.subject == "Welcome to Contoso, Grace"
    assert second.body.startswith("Hello Grace,\n\nThanks for your interest, Navy")
    assert first.template == second.template == template


def test_an_unknown_placeholder_is_refused(rep, administrator):
    with pytest.raises(ValidationError) as refused:
        save_email_template(
            template=EmailTemplate(name="Bad", subject="Hi", body="{{ nickname }}"),
            by=administrator,
        )
    assert "{{ nickname }}" in refused.value.message_dict["body"][0]
    with pytest.raises(ValidationError):
        _queue(rep, _lead(rep), body="Dear {{ lead.owner_user.password }}")


def test_anymail_sends_by_configuration_with_our_headers(rep, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.ANYMAIL = {}
    email = _queue(rep, _lead(rep))
    assert deliver_email(email_id=email.pk).state == EmailState.SENT
    [sent] = mail.outbox
    params = sent.anymail_test_params
    assert params["extra_headers"]["Message-ID"] == email.message_id
    assert [str(a) for a in params["reply_to"]] == [reply_address(email.reply_token)]
    assert str(params["from"]) == f"{rep} <crm@example.com>"
    assert str(params["to"][0]) == "Ada Lovelace <ada@engines.example>"
    assert params["subject"] == "Hello"


def test_a_recipient_refused_by_the_provider_fails_without_retrying(
    rep, settings, monkeypatch
):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"

    class Refused(email_services.MailMessage):
        # The anymail test backend's injected answer: every recipient rejected.
        anymail_test_response = {
            "recipient_status": {
                "ada@engines.example": AnymailRecipientStatus(None, "rejected")
            }
        }

    monkeypatch.setattr(email_services, "MailMessage", Refused)
    email = _queue(rep, _lead(rep))
    delivery = deliver_email(email_id=email.pk)
    assert delivery.state == EmailState.FAILED and delivery.retry_at is None
    email.refresh_from_db()
    assert email.attempts == 1
    assert email.failure_reason.startswith("AnymailRecipientsRefused")


def test_anymail_settings_come_from_anymail_environment_variables():
    printed = run_python(
        "import json, leadsite.settings as s; "
        "print(json.dumps([s.EMAIL_BACKEND, s.ANYMAIL]))",
        DJANGO_EMAIL_BACKEND="anymail.backends.mailgun.EmailBackend",
        ANYMAIL_MAILGUN_API_KEY="key-123",
        ANYMAIL_MAILGUN_SENDER_DOMAIN="mg.example.com",
        ANYMAIL_IGNORE_UNSUPPORTED_FEATURES="true",
        ANYMAIL_SEND_DEFAULTS='{"tags": ["crm"]}',
    )
    backend, anymail = json.loads(printed)
    assert backend == "anymail.backends.mailgun.EmailBackend"
    assert anymail == {
        "MAILGUN_API_KEY": "key-123",
        "MAILGUN_SENDER_DOMAIN": "mg.example.com",
        "IGNORE_UNSUPPORTED_FEATURES": True,
        "SEND_DEFAULTS": {"tags": ["crm"]},
    }
