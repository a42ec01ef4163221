"""The timeline: activities, notes and attachments regarding one record."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import (
    FSMField,
    FSMModelMixin,
    transition,
)
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from accounts.models import (
    Account,
    Contact,
    Opportunity,
)
from leads.models.lifecycle import Lead
from leadsite.core.dates import business_datetime_check, validate_business_date


def regarding_constraint(name):
    """Exactly one of lead, account, contact, opportunity is set."""
    fields = ["lead", "account", "contact", "opportunity"]
    condition = Q()
    for chosen in fields:
        condition |= Q(
            **{f"{f}__isnull": f != chosen for f in fields},
        )
    return models.CheckConstraint(
        condition=condition,
        name=name,
        violation_error_message=_("A timeline item regards exactly one record."),
    )


class TimelineItem(models.Model):
    """Regards exactly one lead, account, contact or opportunity (explicit FKs)."""

    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )

    class Meta:
        abstract = True

    @property
    def regarding(self):
        return self.lead or self.account or self.contact or self.opportunity


class ActivityKind(models.TextChoices):
    PHONE_CALL = "phone_call", _("Phone call")
    EMAIL = "email", _("Email")
    TASK = "task", _("Task")
    APPOINTMENT = "appointment", _("Appointment")


class Direction(models.TextChoices):
    INCOMING = "incoming", _("Incoming")
    OUTGOING = "outgoing", _("Outgoing")


class ActivityState(models.TextChoices):
    OPEN = "open", _("Open")
    COMPLETED = "completed", _("Completed")
    CANCELED = "canceled", _("Canceled")


class Activity(FSMModelMixin, TimelineItem):
    """A phone call, email, task or appointment.

    Database triggers report_dirty_leads_activity_insert, _update and _delete mark
    its lead's day for the source report (leads.models.reports).
    """

    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, blank=True
    )
    due_at = models.DateTimeField(
        _("due"), null=True, blank=True, validators=[validate_business_date]
    )
    start_at = models.DateTimeField(
        _("start"), null=True, blank=True, validators=[validate_business_date]
    )
    end_at = models.DateTimeField(
        _("end"), null=True, blank=True, validators=[validate_business_date]
    )
    state = FSMField(
        _("state"),
        max_length=10,
        choices=ActivityState.choices,
        default=ActivityState.OPEN,
        protected=True,
    )
    completed_at = models.DateTimeField(
        _("completed at"), null=True, blank=True, editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="activities",
    )

    class Meta:
        verbose_name = _("activity")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("activities")
        constraints = [
            regarding_constraint("activity_regards_one_record"),
            models.CheckConstraint(
                condition=Q(end_at__isnull=True)
                | Q(start_at__isnull=True)
                | Q(end_at__gte=models.F("start_at")),
                name="activity_ends_after_start",
                violation_error_message=_(
                    "An appointment cannot end before it starts."
                ),
            ),
            business_datetime_check("activity", "due_at"),
            business_datetime_check("activity", "start_at"),
            business_datetime_check("activity", "end_at"),
        ]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="activity_lead"),
            models.Index(fields=["account", "-created_at"], name="activity_account"),
            models.Index(fields=["contact", "-created_at"], name="activity_contact"),
            models.Index(
                fields=["opportunity", "-created_at"], name="activity_opportunity"
            ),
            # "My open activities" (home): the user's open ones in due order, the
            # first ten read off the index (ASC puts NULLs last in PostgreSQL,
            # as the page orders them), and their count from the same index.
            models.Index(
                fields=["owner", "state", "due_at", "-created_at"],
                name="activity_owner_state_due",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.subject}"

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=ActivityState.OPEN,
        target=ActivityState.COMPLETED,
        custom={"label": _("Complete")},
    )
    def complete(self, *, by=None, description=None):
        self.completed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=ActivityState.OPEN,
        target=ActivityState.CANCELED,
        custom={"label": _("Cancel")},
    )
    def cancel(self, *, by=None, description=None):
        pass


class Note(TimelineItem):
    """A free-text note on a record."""

    title = models.CharField(_("title"), max_length=200, blank=True)
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-id"]
        constraints = [regarding_constraint("note_regards_one_record")]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="note_lead"),
            models.Index(fields=["account", "-created_at"], name="note_account"),
            models.Index(fields=["contact", "-created_at"], name="note_contact"),
            models.Index(
                fields=["opportunity", "-created_at"], name="note_opportunity"
            ),
        ]

    def __str__(self):
        return self.title or self.text[:60]


def attachment_path(instance, filename):
    # Stored under a generated name; the original name lives in the row only.
    return f"attachments/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class Attachment(TimelineItem):
    """A file attached to a record; served only through the access-checked view."""

    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("original name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-created_at", "-id"]
        constraints = [regarding_constraint("attachment_regards_one_record")]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="attachment_lead"),
            models.Index(fields=["account", "-created_at"], name="attachment_account"),
            models.Index(fields=["contact", "-created_at"], name="attachment_contact"),
            models.Index(
                fields=["opportunity", "-created_at"], name="attachment_opportunity"
            ),
        ]

    def __str__(self):
        return self.original_name
