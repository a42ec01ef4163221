"""Email on the record: templates, the messages sent from a record and received on
it (each one an Email activity on the timeline), the inbound aliases and every
inbound message's receipt."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import BusinessUnit
from leads.models.capture import CaptureForm
from leads.models.lifecycle import Lead
from leads.models.timeline import (
    Activity,
    Direction,
    TimelineItem,
    regarding_constraint,
)


def new_reply_token():
    """The unguessable part of a message's reply address (reply+TOKEN@domain): 128
    random bits in lower-case hex, since some mail systems fold an address's case."""
    return secrets.token_hex(16)


class EmailTemplate(models.Model):
    """A message administrators write once; placeholders such as {{ first_name }},
    {{ company }}, {{ owner_name }} and {{ signature }} are filled per record."""

    name = models.CharField(max_length=100, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class EmailState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    RECEIVED = "received", "Received"


class EmailMessage(TimelineItem):
    """One email sent from or received on a record. Its Email activity carries it on
    the timeline; the message keeps what the wire needs (addresses, headers, state)."""

    activity = models.OneToOneField(
        Activity, on_delete=models.CASCADE, related_name="email"
    )
    direction = models.CharField(max_length=10, choices=Direction.choices)
    state = models.CharField(
        max_length=10, choices=EmailState.choices, default=EmailState.QUEUED
    )
    from_address = models.CharField(max_length=320)
    to_address = models.CharField(max_length=320)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    template = models.ForeignKey(
        EmailTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The RFC 5322 Message-ID, "<...@domain>": ours for outgoing, the sender's for
    # received; unique, so the same message stored twice is one row.
    message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    # Outgoing: the token of its reply address; a reply to it lands on this record.
    reply_token = models.CharField(
        max_length=40, unique=True, null=True, blank=True, editable=False
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        help_text="The message this one answers (a thread).",
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set while a worker sends it (a conditional update claims the row, so two
    # runs never send it twice); a claim older than the hold is a dead worker's.
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # After a failed attempt: when the next one is due (the retry's task runs then;
    # the periodic sweep sends what a lost task left waiting).
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    failure_reason = models.TextField(blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [regarding_constraint("emailmessage_regards_one_record")]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="email_lead"),
            models.Index(fields=["account", "-created_at"], name="email_account"),
            models.Index(fields=["contact", "-created_at"], name="email_contact"),
            models.Index(
                fields=["opportunity", "-created_at"], name="email_opportunity"
            ),
            models.Index(fields=["state", "queued_at"], name="email_state_queued"),
        ]

    def __str__(self):
        return self.subject


class MailAlias(models.Model):
    """An inbound address whose new mail becomes leads: for a business unit or a
    capture form. Mail arrives by a provider's inbound webhook (django-anymail) or
    from an IMAP mailbox the worker polls."""

    address = models.EmailField(unique=True)
    business_unit = models.ForeignKey(
        BusinessUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    capture_form = models.ForeignKey(
        CaptureForm,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(default=True)
    # IMAP polling (blank host: the alias receives by webhook only).
    imap_host = models.CharField(max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_username = models.CharField(max_length=255, blank=True)
    imap_password = models.CharField(max_length=255, blank=True)
    imap_folder = models.CharField(max_length=255, default="INBOX")
    imap_tls = models.BooleanField(
        default=True, help_text="IMAP over TLS (port 993); off only for local tests."
    )
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "mail aliases"
        constraints = [
            models.CheckConstraint(
                condition=Q(business_unit__isnull=True) | Q(capture_form__isnull=True),
                name="mailalias_unit_or_form",
                violation_error_message=(
                    "An alias belongs to a business unit or a capture form, not both."
                ),
            )
        ]

    def __str__(self):
        return self.address


class InboundOutcome(models.TextChoices):
    REPLY = "reply", "Reply put on its record"
    LEAD_CREATED = "lead_created", "New lead"
    JOINED_LEAD = "joined_lead", "Added to the sender's open lead"
    AUTO_REPLY = "auto_reply", "Auto-reply, ignored"
    BOUNCE = "bounce", "Bounce, ignored"
    RATE_LIMITED = "rate_limited", "Sender over the rate limit, ignored"
    REFUSED = "refused", "Refused"


class InboundMessage(models.Model):
    """The receipt of one inbound message, by its Message-ID: fetched or posted twice,
    it is handled once."""

    message_id = models.CharField(max_length=255, unique=True)
    alias = models.ForeignKey(
        MailAlias, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    transport = models.CharField(max_length=10)  # imap or webhook
    # A provider's webhook: the signed post's one-time token; seen again, the post
    # is a replay and is refused.
    webhook_token = models.CharField(
        max_length=100, unique=True, null=True, blank=True, editable=False
    )
    sender = models.CharField(max_length=320)
    subject = models.CharField(max_length=300, blank=True)
    size = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=InboundOutcome.choices)
    detail = models.CharField(max_length=300, blank=True)
    lead = models.ForeignKey(
        Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = models.ForeignKey(
        EmailMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            # The per-sender rate limit counts a sender's recent messages.
            models.Index(fields=["sender", "received_at"], name="inbound_sender_time"),
        ]

    def __str__(self):
        return f"{self.sender}: {self.subject}"
