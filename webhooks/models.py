"""Outbound webhooks: subscriptions, the event outbox, deliveries and their attempts.

An Event is written in the transaction of the change it announces (the outbox); the
worker fans it out into one Delivery per subscription whose owner may see the
record, and sends each delivery until the receiver answers 2xx, logging every try
as an Attempt.
"""

import base64
import secrets
import uuid

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadsite.core.events import EVENT_TYPES

SECRET_PREFIX = "whsec_"
MESSAGE_PREFIX = "msg_"
# Not a subscribable event: "Send test event" on a subscription's page.
TEST_EVENT = "webhook.test"
validate_webhook_url = URLValidator(schemes=["http", "https"])


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes them: whsec_ + base64 of 32
    random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    """An event's stable id (the webhook-id header of every delivery of it)."""
    return MESSAGE_PREFIX + uuid.uuid4().hex


class PauseReason(models.TextChoices):
    OWNER = "owner", _("Paused by its owner")
    FAILING = "failing", _("Paused after a day of failed deliveries")


class Subscription(models.Model):
    """A URL that receives the events it names, signed with its secret, limited to
    the records its owner may see."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
    )
    url = models.URLField(
        _("URL"),
        max_length=500,
        validators=[validate_webhook_url],
        help_text=_("Where LeadSite POSTs each event (http or https)."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(
        _("events"), default=list, help_text=_("The event types this URL receives.")
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Off: events are kept for this URL and sent once it is on again."),
    )
    paused_at = models.DateTimeField(
        _("paused at"), null=True, blank=True, editable=False
    )
    pause_reason = models.CharField(
        _("pause reason"),
        max_length=16,
        choices=PauseReason.choices,
        blank=True,
        editable=False,
    )
    secret = models.CharField(
        _("secret"), max_length=100, default=new_secret, editable=False
    )
    # After a rotation, deliveries carry a signature with the old secret too until
    # this moment, so receivers can switch without losing a message.
    previous_secret = models.CharField(
        _("previous secret"), max_length=100, blank=True, editable=False
    )
    previous_secret_expires_at = models.DateTimeField(
        _("previous secret expires at"), null=True, blank=True, editable=False
    )
    # The first failed attempt since the last success (None: not failing).
    failing_since = models.DateTimeField(
        _("failing since"), null=True, blank=True, editable=False
    )
    last_success_at = models.DateTimeField(
        _("last success at"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )
    modified_at = models.DateTimeField(_("modified at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(paused_at__isnull=True),
                name="webhooks_subscription_active_not_paused",
                violation_error_message=_("An active subscription is not paused."),
            ),
        ]

    def __str__(self):
        return self.description or self.url

    def get_absolute_url(self):
        return reverse("webhooks:detail", args=[self.pk])

    def signing_secrets(self, *, now=None) -> list[str]:
        """The secrets a delivery is signed with now: the current one, and the one
        before a rotation while its overlap lasts."""
        now = now or timezone.now()
        found = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_expires_at is not None
            and self.previous_secret_expires_at > now
        ):
            found.append(self.previous_secret)
        return found


class Event(models.Model):
    """One announced change (the outbox row): its type, the record it is about, and
    the body every delivery sends, frozen when the change was made."""

    message_id = models.CharField(
        _("message id"),
        max_length=40,
        unique=True,
        default=new_message_id,
        editable=False,
    )
    type = models.CharField(
        _("type"), max_length=40, choices=[(t, t) for t in (*EVENT_TYPES, TEST_EVENT)]
    )
    # The record the event is about ("leads.lead", pk); blank for a test event.
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)
    # The exact JSON sent (and signed): type, timestamp and the API representation.
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )
    # When the worker made its deliveries (None: still to fan out).
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["id"],
                name="webhooks_event_undispatched",
                condition=Q(dispatched_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.message_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")
    SKIPPED = "skipped", _("Not sent (out of scope)")


class Delivery(models.Model):
    """One event for one subscription: sent until the receiver answers 2xx, with
    exponential backoff between attempts."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="+"
    )
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When a pending delivery is due; a worker sending it holds it until
    # locked_until (a worker that died lets it go then).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last status code"), null=True, blank=True
    )
    last_duration_ms = models.PositiveIntegerField(
        _("last duration ms"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        ordering = ["-id"]
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"],
                name="webhooks_delivery_once_per_subscription",
            ),
        ]
        indexes = [
            # The worker's queue: pending deliveries by due time.
            models.Index(
                fields=["next_attempt_at"],
                name="webhooks_delivery_due",
                condition=Q(status="pending"),
            ),
            # A subscription's delivery log, newest first.
            models.Index(fields=["subscription", "-id"], name="webhooks_delivery_log"),
        ]

    def __str__(self):
        return gettext("Delivery #%(id)s") % {"id": self.pk}


class AttemptOutcome(models.TextChoices):
    SENDING = "sending", _("Sending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")
    INTERRUPTED = "interrupted", _("Interrupted (the worker stopped)")


class Attempt(models.Model):
    """One try at a delivery: the receiver's answer, how long it took, or why it
    failed."""

    delivery = models.ForeignKey(
        Delivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=AttemptOutcome.choices,
        default=AttemptOutcome.SENDING,
    )
    status_code = models.PositiveSmallIntegerField(
        _("status code"), null=True, blank=True
    )
    duration_ms = models.PositiveIntegerField(_("duration ms"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="webhooks_attempt_number_once"
            ),
        ]

    def __str__(self):
        return gettext("Attempt %(number)s of delivery #%(id)s") % {
            "number": self.number,
            "id": self.delivery_id,
        }
