"""Notifications: what a user is told (in the app, and by email as they choose),
and each user's choice per kind."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    LEAD_ASSIGNED = "lead_assigned", _("A lead routed or assigned to you")
    LEAD_REASSIGNED = "lead_reassigned", _("A lead routed away from you")
    ACTIVITY_DUE = "activity_due", _("An activity due today or overdue")
    RESPONSE_DEADLINE = (
        "response_deadline",
        _("A first-response deadline: due soon, or passed and the lead re-routed"),
    )
    IMPORT_DONE = "import_done", _("An import finished or refused")
    EMAIL_RECEIVED = "email_received", _("An email received on your record")
    WEBHOOK_PAUSED = "webhook_paused", _("A webhook subscription paused")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app only")
    EMAIL = "email", _("In the app and by email at once")
    DIGEST = "digest", _("In the app and in the daily digest email")
    OFF = "off", _("Off")


class EmailState(models.TextChoices):
    NONE = "", _("Not emailed")
    PENDING = "pending", _("To email at once")
    DIGEST = "digest", _("For the daily digest")
    SENDING = "sending", _("Being emailed")
    SENT = "sent", _("Emailed")


class Notification(models.Model):
    """One thing a user is told: a sentence, frozen when it happened, and the record
    it is about (linked on the page only while the user may see that record)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=300)
    # The record it is about ("leads.lead", pk); blank when none.
    target_type = models.CharField(_("target type"), max_length=40, blank=True)
    target_id = models.PositiveBigIntegerField(_("target id"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who did what this tells of (empty: LeadSite itself)."),
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_state = models.CharField(
        _("email state"),
        max_length=8,
        choices=EmailState.choices,
        default=EmailState.NONE,
        blank=True,
    )
    # When a worker took it to email (a worker that died lets it go after a while).
    email_claimed_at = models.DateTimeField(
        _("email claimed at"), null=True, blank=True
    )
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    # A reminder's identity ("activity:12:2026-05-01"): told once (unique per user).
    key = models.CharField(_("key"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=~Q(key=""),
                name="notifications_reminder_once",
            ),
        ]
        indexes = [
            # A user's list, newest first.
            models.Index(fields=["user", "-created_at", "-id"], name="notif_list"),
            # The bell: a user's unread ones.
            models.Index(
                fields=["user"],
                name="notif_unread",
                condition=Q(read_at__isnull=True),
            ),
            # The mailer's queue: what waits to be emailed, at once or in a digest.
            models.Index(
                fields=["email_state", "user"],
                name="notif_email_queue",
                condition=Q(email_state__in=["pending", "digest", "sending"]),
            ),
        ]

    def __str__(self):
        return self.text

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How a user wants to hear of one kind (no row: the kind's default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        ordering = ["user", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="notifications_preference_once"
            ),
        ]

    def __str__(self):
        return f"{self.user}: {self.get_kind_display()} → {self.get_channel_display()}"
