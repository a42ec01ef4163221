"""Retention: how long administrators keep disqualified leads, closed activities,
email bodies, import files and webhook delivery logs (one policy), and the log of
every run that applied it (privacy.services.retention).

The runs find what is due through partial indexes on the other apps' tables
(privacy migration 0002_retention, RETENTION_INDEXES below): each holds only the
rows still to be handled, so a daily run reads what is due, not the whole table.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads.models import ActivityState, LeadState
from webhooks.models import DeliveryStatus

# What an anonymised lead and a cleared activity carry instead of their text. Data,
# not a message: stored as is whatever the language, and matched by the partial
# indexes below (changing it means a migration).
ANONYMISED = "Anonymised"
REMOVED = "Removed (retention)"
# Up to about 27 years: beyond any retention a law asks for.
MAX_DAYS = 10_000


class LeadRetentionAction(models.TextChoices):
    ANONYMISE = "anonymise", _("Anonymise")
    DELETE = "delete", _("Delete")


class RetentionKind(models.TextChoices):
    """What a policy keeps for a time; the keys of a run's counts."""

    LEADS = "disqualified_leads", _("Disqualified leads")
    ACTIVITIES = "closed_activities", _("Closed activities")
    EMAIL_BODIES = "email_bodies", _("Email bodies")
    IMPORT_FILES = "import_files", _("Import files")
    WEBHOOK_LOGS = "webhook_logs", _("Webhook delivery logs")


def _days_field(verbose_name, help_text):
    return models.PositiveIntegerField(
        verbose_name,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS)],
        help_text=help_text,
    )


class RetentionPolicy(models.Model):
    """The organisation's retention periods, in days (empty: kept forever). One row
    (pk 1); privacy.selectors.retention.get_policy reads it, defaults when missing."""

    disqualified_leads_days = _days_field(
        _("disqualified leads (days)"),
        _("Counted from the disqualification. Empty: kept forever."),
    )
    disqualified_leads_action = models.CharField(
        _("then"),
        max_length=10,
        choices=LeadRetentionAction.choices,
        default=LeadRetentionAction.ANONYMISE,
        help_text=_(
            "Anonymise: names, contact details, address, texts, notes and "
            "attachments go; source, status, dates and amounts stay, so the source "
            "report keeps its numbers. Delete: the lead and its timeline go, and "
            "the report no longer counts it."
        ),
    )
    closed_activities_days = _days_field(
        _("closed activities (days)"),
        _(
            "Completed activities counted from completion, cancelled ones from "
            "creation. Their subject and description, and an email's text and "
            "addresses, are removed; kind, dates, owner and state stay, so the "
            "reports keep their numbers. Empty: kept forever."
        ),
    )
    email_bodies_days = _days_field(
        _("email bodies (days)"),
        _(
            "The text of emails sent and received, counted from when they were "
            "queued or received; addresses and subject stay. Empty: kept forever."
        ),
    )
    import_files_days = _days_field(
        _("import files (days)"),
        _(
            "The uploaded file and the row report of finished imports, counted "
            "from the end of the import; the import's summary stays. Empty: kept "
            "forever."
        ),
    )
    webhook_logs_days = _days_field(
        _("webhook delivery logs (days)"),
        _(
            "Finished webhook deliveries with their attempts, and the events "
            "left without deliveries. Empty: kept forever."
        ),
    )
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("changed by"),
    )
    modified_at = models.DateTimeField(
        _("changed at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="retention_policy_one_row")
        ]

    def __str__(self):
        return str(_("Retention policy"))

    def days(self) -> dict[str, int | None]:
        """Each kind's period (None: kept forever), keyed by RetentionKind, in the
        order a run handles them: a kind whose records another kind also clears
        (an email activity's text, a due lead's timeline) comes first, so each
        record is counted once, under its own kind, and a dry run's counts are the
        run's."""
        return {
            RetentionKind.EMAIL_BODIES: self.email_bodies_days,
            RetentionKind.ACTIVITIES: self.closed_activities_days,
            RetentionKind.IMPORT_FILES: self.import_files_days,
            RetentionKind.WEBHOOK_LOGS: self.webhook_logs_days,
            RetentionKind.LEADS: self.disqualified_leads_days,
        }


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Scheduler")
    PAGE = "page", _("Retention page")
    COMMAND = "command", _("Command")


class RetentionRun(models.Model):
    """One real application of the policy: when, who started it (none: the
    scheduler), the periods and lead action it applied and, per kind, how many
    records went ("done") and how many were due but under a legal hold ("held").
    Counts only: no personal value is written here."""

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    trigger = models.CharField(
        _("started from"), max_length=10, choices=RunTrigger.choices
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    lead_action = models.CharField(
        _("lead action"), max_length=10, choices=LeadRetentionAction.choices
    )
    periods = models.JSONField(
        _("periods"), default=dict, help_text=_("Days per kind (null: kept forever).")
    )
    counts = models.JSONField(
        _("counts"),
        default=dict,
        help_text=_("Per kind: records done and records held."),
    )
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.trigger})"


# The partial indexes the runs read (privacy migration 0002_retention creates them
# with RunSQL, on PostgreSQL and SQLite: the tables are the other apps'). Each holds
# only what a run may still have to handle; handled rows leave it.
RETENTION_INDEXES = [
    (
        "privacy_lead_retention",
        "leads_lead",
        "closed_at",
        f"state = {int(LeadState.DISQUALIFIED)} AND last_name <> '{ANONYMISED}'",
    ),
    (
        "privacy_activity_done_retention",
        "leads_activity",
        "completed_at",
        f"state = '{ActivityState.COMPLETED}' AND subject <> '{REMOVED}'",
    ),
    (
        "privacy_activity_canceled_retention",
        "leads_activity",
        "created_at",
        f"state = '{ActivityState.CANCELED}' AND subject <> '{REMOVED}'",
    ),
    (
        "privacy_email_body_retention",
        "leads_emailmessage",
        "queued_at",
        "body <> ''",
    ),
    (
        "privacy_delivery_retention",
        "webhooks_delivery",
        "created_at",
        f"status <> '{DeliveryStatus.PENDING}'",
    ),
]
