"""Mass updates: one set of field changes applied to many leads, row by row through
the lead services, each row checked against the version the user saw; reported per
lead and undone as a whole.

A job goes queued → running → done, and from done undoing → undone. Small jobs run
in the request; larger ones in a background worker (leads.tasks)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leads.models.choices import (
    DISQUALIFY_REASONS,
    LEAD_DO_NOT_CONTACT_FIELDS,
    LEAD_QUALIFICATION_FIELDS,
    LEAD_SOURCE_FIELDS,
    LeadStatus,
)

# The lead fields a mass update may set: those of the lead form that describe a
# group of leads alike (never a person's name, email or phone). The owner and the
# status reason are set through assign_lead and the state machine.
MASS_UPDATE_FIELDS = [
    *LEAD_SOURCE_FIELDS,
    "industry",
    *[
        name
        for name in LEAD_QUALIFICATION_FIELDS
        if name not in ("budget_amount", "estimated_value")
    ],
    "preferred_contact_method",
    *LEAD_DO_NOT_CONTACT_FIELDS,
]
# Status reasons a mass update may set: Contacted (mark_contacted) and the
# disqualification reasons (disqualify); qualifying creates records of its own.
MASS_UPDATE_STATUSES = [LeadStatus.CONTACTED, *DISQUALIFY_REASONS]
OWNER_KEYS = ("owner_user", "owner_team")


class MassUpdateStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    UNDOING = "undoing", _("Undoing")
    UNDONE = "undone", _("Undone")


class MassUpdate(models.Model):
    """Who set which fields on which leads, and what became of each lead."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )
    changes = models.JSONField(
        _("changes"),
        default=dict,
        help_text=_(
            "Lead field → the value set (a related record by its id; "
            "status: the status reason's code, reached through the state machine)."
        ),
    )
    query = models.TextField(
        _("query"),
        blank=True,
        help_text=_(
            "The list's filter when every matching lead was chosen (resolved "
            "to leads and their versions when the update was submitted); empty for "
            "leads selected one by one."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=MassUpdateStatus.choices,
        default=MassUpdateStatus.QUEUED,
    )
    total = models.PositiveIntegerField(
        _("total"), default=0, help_text=_("Leads selected.")
    )
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    updated_count = models.PositiveIntegerField(_("updated count"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged count"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped count"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        _("heartbeat at"),
        null=True,
        blank=True,
        help_text=_("Last sign of life of the worker."),
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    undo_total = models.PositiveIntegerField(_("undo total"), default=0)
    undo_done = models.PositiveIntegerField(_("undo done"), default=0)
    restored_count = models.PositiveIntegerField(_("restored count"), default=0)
    undo_skipped_count = models.PositiveIntegerField(_("undo skipped count"), default=0)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mass update")
        verbose_name_plural = _("mass updates")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="mass_update_by")
        ]

    def __str__(self):
        return gettext("Mass update #%(id)s") % {"id": self.pk}

    def get_absolute_url(self):
        return reverse("leads:mass-update-detail", args=[self.pk])


class MassUpdateOutcome(models.TextChoices):
    PENDING = "pending", _("Waiting")
    UPDATED = "updated", _("Updated")
    UNCHANGED = "unchanged", _("Already had these values")
    SKIPPED = "skipped", _("Skipped")


class UndoOutcome(models.TextChoices):
    NONE = "", _("Not undone")
    RESTORED = "restored", _("Restored")
    SKIPPED = "skipped", _("Skipped")


class MassUpdateRow(models.Model):
    """One selected lead: the version the user saw, what the update did to it, the
    values it replaced (`before`) and wrote (`after`), the version it left, and
    what the undo did."""

    mass_update = models.ForeignKey(
        MassUpdate,
        verbose_name=_("mass update"),
        on_delete=models.CASCADE,
        related_name="rows",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    lead_label = models.CharField(_("lead label"), max_length=300, blank=True)
    seen_version = models.PositiveIntegerField(_("seen version"))
    outcome = models.CharField(
        _("outcome"),
        max_length=9,
        choices=MassUpdateOutcome.choices,
        default=MassUpdateOutcome.PENDING,
    )
    reason = models.TextField(_("reason"), blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    version_after = models.PositiveIntegerField(
        _("version after"), null=True, blank=True
    )
    undo_outcome = models.CharField(
        _("undo outcome"),
        max_length=8,
        choices=UndoOutcome.choices,
        default=UndoOutcome.NONE,
        blank=True,
    )
    undo_reason = models.TextField(_("undo reason"), blank=True)

    class Meta:
        verbose_name = _("mass update row")
        verbose_name_plural = _("mass update rows")
        ordering = ["mass_update", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mass_update", "lead"], name="mass_update_row_once"
            )
        ]
        indexes = [
            models.Index(fields=["mass_update", "outcome", "id"], name="mass_row_todo")
        ]

    def __str__(self):
        return f"{self.mass_update_id}: lead {self.lead_id} {self.outcome}"
