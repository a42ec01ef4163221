"""Email on the record: templates, the messages sent from a record and received on
it (each one an Email activity on the timeline), the inbound aliases and every
inbound message's receipt."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import BusinessUnit
from leads.models.capture import CaptureForm
from leads.models.consent import ConsentPurpose
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

    name = models.CharField(_("name"), max_length=100, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    is_active = models.BooleanField(_("is active"), default=True)
    # Consent (leads.models.consent): emails from this template go only to people
    # who gave consent to this purpose.
    purpose = models.ForeignKey(
        ConsentPurpose,
        verbose_name=_("purpose"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "Emails from this template go only to people who gave consent to "
            "this purpose."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")
        ordering = ["name"]

    def __str__(self):
        return self.name


class EmailState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    RECEIVED = "received", _("Received")


class EmailMessage(TimelineItem):
    """One email sent from or received on a record. Its Email activity carries it on
    the timeline; the message keeps what the wire needs (addresses, headers, state)."""

    activity = models.OneToOneField(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="email",
    )
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices
    )
    state = models.CharField(
        _("state"), max_length=10, choices=EmailState.choices, default=EmailState.QUEUED
    )
    from_address = models.CharField(_("from address"), max_length=320)
    to_address = models.CharField(_("to address"), max_length=320)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    template = models.ForeignKey(
        EmailTemplate,
        verbose_name=_("template"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Sent for this consent purpose: checked again when the worker sends it.
    purpose = models.ForeignKey(
        ConsentPurpose,
        verbose_name=_("purpose"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The RFC 5322 Message-ID, "<...@domain>": ours for outgoing, the sender's for
    # received; unique, so the same message stored twice is one row.
    message_id = models.CharField(_("message id"), max_length=255, unique=True)
    in_reply_to = models.CharField(_("in reply to"), max_length=255, blank=True)
    # Outgoing: the token of its reply address; a reply to it lands on this record.
    reply_token = models.CharField(
        _("reply token"),
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        editable=False,
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        help_text=_("The message this one answers (a thread)."),
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Set while a worker sends it (a conditional update claims the row, so two
    # runs never send it twice); a claim older than the hold is a dead worker's.
    claimed_at = models.DateTimeField(
        _("claimed at"), null=True, blank=True, editable=False
    )
    # After a failed attempt: when the next one is due (the retry's task runs then;
    # the periodic sweep sends what a lost task left waiting).
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), null=True, blank=True, editable=False
    )
    failure_reason = models.TextField(_("failure reason"), blank=True)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        verbose_name = _("email message")
        verbose_name_plural = _("email messages")
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

    address = models.EmailField(_("address"), unique=True)
    business_unit = models.ForeignKey(
        BusinessUnit,
        verbose_name=_("business unit"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    capture_form = models.ForeignKey(
        CaptureForm,
        verbose_name=_("capture form"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("is active"), default=True)
    # IMAP polling (blank host: the alias receives by webhook only).
    imap_host = models.CharField(_("imap host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("imap port"), default=993)
    imap_username = models.CharField(_("imap username"), max_length=255, blank=True)
    imap_password = models.CharField(_("imap password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("imap folder"), max_length=255, default="INBOX")
    imap_tls = models.BooleanField(
        _("imap tls"),
        default=True,
        help_text=_("IMAP over TLS (port 993); off only for local tests."),
    )
    last_polled_at = models.DateTimeField(
        _("last polled at"), null=True, blank=True, editable=False
    )
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        verbose_name = _("mail alias")
        ordering = ["address"]
        verbose_name_plural = _("mail aliases")
        constraints = [
            models.CheckConstraint(
                condition=Q(business_unit__isnull=True) | Q(capture_form__isnull=True),
                name="mailalias_unit_or_form",
                violation_error_message=(
                    _(
                        "An alias belongs to a business unit or a capture form, not both."
                    )
                ),
            )
        ]

    def __str__(self):
        return self.address


class InboundOutcome(models.TextChoices):
    REPLY = "reply", _("Reply put on its record")
    LEAD_CREATED = "lead_created", _("New lead")
    JOINED_LEAD = "joined_lead", _("Added to the sender's open lead")
    AUTO_REPLY = "auto_reply", _("Auto-reply, ignored")
    BOUNCE = "bounce", _("Bounce, ignored")
    RATE_LIMITED = "rate_limited", _("Sender over the rate limit, ignored")
    REFUSED = "refused", _("Refused")


class InboundMessage(models.Model):
    """The receipt of one inbound message, by its Message-ID: fetched or posted twice,
    it is handled once."""

    message_id = models.CharField(_("message id"), max_length=255, unique=True)
    alias = models.ForeignKey(
        MailAlias,
        verbose_name=_("alias"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    transport = models.CharField(_("transport"), max_length=10)  # imap or webhook
    # A provider's webhook: the signed post's one-time token; seen again, the post
    # is a replay and is refused.
    webhook_token = models.CharField(
        _("webhook token"),
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        editable=False,
    )
    sender = models.CharField(_("sender"), max_length=320)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=InboundOutcome.choices
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    email = models.ForeignKey(
        EmailMessage,
        verbose_name=_("email"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-id"]
        indexes = [
            # The per-sender rate limit counts a sender's recent messages.
            models.Index(fields=["sender", "received_at"], name="inbound_sender_time"),
        ]

    def __str__(self):
        return f"{self.sender}: {self.subject}"
