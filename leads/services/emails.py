"""Writes for email from the record: queue an email on a lead, account, contact or
opportunity (with its Email activity on the timeline), send it (the worker's
task, leads.tasks.send_email), queue a failed one again, and save the templates
administrators write.

Sending claims the row with a conditional update (state queued, not claimed), so
two runs of the task never send one email twice; the message goes out outside any
transaction, through Django's mail (EMAIL_URL, or a django-anymail backend), with
our Message-ID and a Reply-To of LEADSITE_REPLY_ADDRESS's local+TOKEN@domain. A
transient failure releases the claim with the time of the next attempt (the task
queues itself for then); a refusal by the server, or the last attempt, leaves it
Failed with the reason."""

import datetime
import logging
import secrets
import smtplib
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from anymail.exceptions import (
    AnymailConfigurationError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import EmailMessage as MailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django_fsm import TransitionNotAllowed

from accounts.models import Contact
from leads.models import (
    ActivityKind,
    ActivityState,
    ConsentPurpose,
    Direction,
    EmailMessage,
    EmailState,
    EmailTemplate,
    Lead,
    new_reply_token,
)
from leads.selectors.consent import consent_refusal
from leads.selectors.emails import (
    draft_email,
    email_recipient,
    get_email_for_sending,
    unknown_placeholders,
)
from leads.services.consent import check_email_consent
from leads.services.locks import lock_lead
from leads.services.timeline import complete_activity, log_activity, regarding_kwargs
from leads.submissions import claim_submission, record_submission
from leadsite.core.services import service

logger = logging.getLogger(__name__)

# A claim older than this is taken to be a dead worker's (the sweep sends it).
CLAIM_HOLD = datetime.timedelta(minutes=10)
# Errors that another attempt will not cure: the server or provider refused the
# message or its addresses, or the configuration is wrong.
PERMANENT_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    AnymailRecipientsRefused,
    AnymailInvalidAddress,
    AnymailConfigurationError,
    ImproperlyConfigured,
)


def check_placeholders(**texts: str) -> None:
    """Refuse (ValidationError per field) text naming an unknown placeholder."""
    errors = {}
    for field, text in texts.items():
        unknown = unknown_placeholders(text)
        if unknown:
            names = ", ".join("{{ " + name + " }}" for name in unknown)
            errors[field] = gettext(
                "Unknown placeholder %(names)s. See the list of placeholders "
                "you can use."
            ) % {"names": names}
    if errors:
        raise ValidationError(errors, code="unknown_placeholder")


def reply_address(token: str) -> str:
    """LEADSITE_REPLY_ADDRESS with the token: replies+TOKEN@example.com."""
    local, _, domain = settings.LEADSITE_REPLY_ADDRESS.rpartition("@")
    return f"{local}+{token}@{domain}"


def _new_message_id() -> str:
    return f"<{secrets.token_hex(16)}@{settings.LEADSITE_MESSAGE_ID_DOMAIN}>"


def sender_address(by) -> str:
    """The sender's name on the site's own address (DEFAULT_FROM_EMAIL): mail
    from the rep's own domain would fail its SPF/DMARC checks."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((str(by), address))


def _fresh_record(record):
    """`record` read again (a lead locked), so its do-not-email flag is current."""
    if isinstance(record, Lead):
        return lock_lead(record.pk, related=())
    if isinstance(record, Contact):
        return Contact.objects.select_for_update().get(pk=record.pk)
    return type(record).objects.get(pk=record.pk)


@service
@transaction.atomic
def queue_email(
    *,
    record,
    by,
    subject: str,
    body: str,
    template: EmailTemplate | None = None,
    submission_token: str | None = None,
    purpose: ConsentPurpose | None = None,
) -> EmailMessage:
    """Queue an email from `by` to the person of `record` (see
    leads.selectors.emails.email_recipient), its placeholders filled, and log it
    as an outgoing Email activity (open until it is sent). Refused with a
    ValidationError when the person is marked "do not allow email", has no
    address, or the text names an unknown placeholder; refused with ConsentRefused
    (on the purpose) when the email is for a consent purpose (`purpose`, else the
    template's) the person has not given consent to (leads.services.consent). The
    caller queues the send
    (leads.tasks.enqueue_send). A repeated POST of the same form (same
    `submission_token`) returns the email the first one queued. A lead's row is
    locked for the duration."""
    existing = claim_submission(token=submission_token, kind="email", by=by)
    if existing is not None:
        return EmailMessage.objects.get(pk=existing)
    check_placeholders(subject=subject, body=body)
    record = _fresh_record(record)
    draft = draft_email(record=record, sender=by, subject=subject, body=body)
    if draft.recipient.refusal:
        raise ValidationError(draft.recipient.refusal, code="do_not_email")
    purpose = purpose or (template.purpose if template is not None else None)
    check_email_consent(record=record, purpose=purpose)
    if not draft.subject:
        raise ValidationError({"subject": gettext("An email needs a subject.")})
    activity = log_activity(
        record=record,
        by=by,
        kind=ActivityKind.EMAIL,
        direction=Direction.OUTGOING,
        subject=draft.subject[:200],
        description=draft.body,
    )
    email = EmailMessage(
        activity=activity,
        direction=Direction.OUTGOING,
        state=EmailState.QUEUED,
        from_address=sender_address(by),
        to_address=formataddr((draft.recipient.name, draft.recipient.address)),
        subject=draft.subject,
        body=draft.body,
        template=template,
        purpose=purpose,
        message_id=_new_message_id(),
        reply_token=new_reply_token(),
        created_by=by,
        **regarding_kwargs(record),
    )
    email.full_clean()
    email.save()
    record_submission(token=submission_token, kind="email", object_id=email.pk)
    return email


@service
@transaction.atomic
def retry_email(*, email: EmailMessage, by) -> EmailMessage:
    """Queue a Failed email again (the timeline's "Try again"), with a fresh count
    of attempts. Refused when it is no longer failed (sent, or already queued
    again by someone else: the conditional update lets one of two clicks through)
    or when its person may no longer be emailed (do-not-email, or no given consent
    to the email's purpose). The caller queues the send."""
    record = _fresh_record(email.regarding)
    recipient = email_recipient(record)
    if recipient.refusal:
        raise ValidationError(recipient.refusal, code="do_not_email")
    check_email_consent(record=record, purpose=email.purpose)
    requeued = EmailMessage.objects.filter(pk=email.pk, state=EmailState.FAILED).update(
        state=EmailState.QUEUED,
        attempts=0,
        claimed_at=None,
        next_attempt_at=None,
        queued_at=timezone.now(),
    )
    if not requeued:
        raise ValidationError(
            gettext("“%(subject)s” is not failed any more; it was not queued again.")
            % {"subject": email.subject},
            code="not_failed",
        )
    email.refresh_from_db()
    return email


@dataclass(frozen=True)
class Delivery:
    """What one run of the send did. `retry_at`: when the next attempt is due."""

    email_id: int
    state: str  # "sent", "queued" (tried again later), "failed", "skipped"
    reason: str = ""
    retry_at: datetime.datetime | None = None


def _claim(email_id: int, now) -> bool:
    """Take the email for this run: one conditional UPDATE, so of two runs at once
    exactly one finds it queued and unclaimed."""
    return bool(
        EmailMessage.objects.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_HOLD),
            pk=email_id,
            state=EmailState.QUEUED,
            direction=Direction.OUTGOING,
        ).update(claimed_at=now, attempts=F("attempts") + 1, next_attempt_at=None)
    )


def mail_message(email: EmailMessage) -> MailMessage:
    """The email as Django's mail sends it, with our headers."""
    headers = {"Message-ID": email.message_id}
    if email.in_reply_to:
        headers["In-Reply-To"] = email.in_reply_to
        headers["References"] = email.in_reply_to
    return MailMessage(
        subject=email.subject,
        body=email.body,
        from_email=email.from_address,
        to=[email.to_address],
        reply_to=[reply_address(email.reply_token)],
        headers=headers,
    )


def _reason(error: Exception) -> str:
    text = str(error).strip() or error.__class__.__name__
    return f"{error.__class__.__name__}: {text}"[:1000]


def _retry_delay(attempts: int) -> datetime.timedelta:
    seconds = settings.LEADSITE_EMAIL_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
    return datetime.timedelta(
        seconds=min(seconds, settings.LEADSITE_EMAIL_RETRY_MAX_SECONDS)
    )


def _finish(email: EmailMessage, now, **fields) -> None:
    EmailMessage.objects.filter(pk=email.pk, claimed_at=now).update(
        claimed_at=None, **fields
    )


def _mark_activity_done(email: EmailMessage) -> None:
    if email.activity.state != ActivityState.OPEN:
        return
    try:
        complete_activity(activity=email.activity, by=email.created_by)
    except TransitionNotAllowed:
        pass  # completed or canceled by hand meanwhile


@service
def deliver_email(*, email_id: int, now: datetime.datetime | None = None) -> Delivery:
    """Send one queued outgoing email (the worker's task). Claims it first (see
    _claim); "skipped" when it is not queued, is claimed by a running worker, or
    does not exist. Sent: the state, the time and its Email activity completed
    (on a lead in status New that marks the lead Contacted). Refused because the
    person may no longer be emailed (do-not-email, or consent to the email's purpose
    withdrawn since it was queued), refused by the server, or failed on the last
    attempt: Failed with the reason. Another failure: still queued, with the
    reason and the time the next attempt is due (LEADSITE_EMAIL_RETRY_*). Runs
    outside a transaction: the message leaves between two short writes."""
    now = now or timezone.now()
    if not _claim(email_id, now):
        return Delivery(email_id, "skipped")
    email = get_email_for_sending(pk=email_id)
    refusal = email_recipient(email.regarding).refusal or consent_refusal(
        record=email.regarding, purpose=email.purpose
    )
    if refusal:
        _finish(email, now, state=EmailState.FAILED, failure_reason=refusal)
        return Delivery(email_id, EmailState.FAILED, refusal)
    try:
        mail_message(email).send(fail_silently=False)
    except Exception as error:  # any failure of the transport is recorded
        reason = _reason(error)
        logger.warning("Email %s not sent: %s", email_id, reason)
        last = email.attempts >= settings.LEADSITE_EMAIL_MAX_ATTEMPTS
        if isinstance(error, PERMANENT_ERRORS) or last:
            _finish(email, now, state=EmailState.FAILED, failure_reason=reason)
            return Delivery(email_id, EmailState.FAILED, reason)
        retry_at = timezone.now() + _retry_delay(email.attempts)
        _finish(email, now, failure_reason=reason, next_attempt_at=retry_at)
        return Delivery(email_id, EmailState.QUEUED, reason, retry_at)
    _finish(
        email, now, state=EmailState.SENT, sent_at=timezone.now(), failure_reason=""
    )
    _mark_activity_done(email)
    return Delivery(email_id, EmailState.SENT)


@service
@transaction.atomic
def save_email_template(*, template: EmailTemplate, by) -> EmailTemplate:
    """Create or change a template (the admin). Refused (ValidationError on the
    field) when its subject or body names an unknown placeholder."""
    check_placeholders(subject=template.subject, body=template.body)
    template.full_clean()
    template.save()
    return template
