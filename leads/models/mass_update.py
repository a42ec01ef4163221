"""Mass updates: one set of field changes applied to many leads, row by row through
the lead services, each row checked against the version the user saw; reported per
lead and undone as a whole.

A job goes queued → running → done, and from done undoing → undone. Small jobs run
in the request; larger ones in a background worker (leads.tasks)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

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
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Finished"
    UNDOING = "undoing", "Undoing"
    UNDONE = "undone", "Undone"


class MassUpdate(models.Model):
    """Who set which fields on which leads, and what became of each lead."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    changes = models.JSONField(
        default=dict,
        help_text="Lead field → the value set (a related record by its id; "
        "status: the status reason's code, reached through the state machine).",
    )
    query = models.TextField(
        blank=True,
        help_text="The list's filter when every matching lead was chosen (resolved "
        "to leads and their versions when the update was submitted); empty for "
        "leads selected one by one.",
    )
    status = models.CharField(
        max_length=8,
        choices=MassUpdateStatus.choices,
        default=MassUpdateStatus.QUEUED,
    )
    total = models.PositiveIntegerField(default=0, help_text="Leads selected.")
    rows_done = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    undo_total = models.PositiveIntegerField(default=0)
    undo_done = models.PositiveIntegerField(default=0)
    restored_count = models.PositiveIntegerField(default=0)
    undo_skipped_count = models.PositiveIntegerField(default=0)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="mass_update_by")
        ]

    def __str__(self):
        return f"Mass update #{self.pk}"

    def get_absolute_url(self):
        return reverse("leads:mass-update-detail", args=[self.pk])


class MassUpdateOutcome(models.TextChoices):
    PENDING = "pending", "Waiting"
    UPDATED = "updated", "Updated"
    UNCHANGED = "unchanged", "Already had these values"
    SKIPPED = "skipped", "Skipped"


class UndoOutcome(models.TextChoices):
    NONE = "", "Not undone"
    RESTORED = "restored", "Restored"
    SKIPPED = "skipped", "Skipped"


class MassUpdateRow(models.Model):
    """One selected lead: the version the user saw, what the update did to it, the
    values it replaced (`before`) and wrote (`after`), the version it left, and
    what the undo did."""

    mass_update = models.ForeignKey(
        MassUpdate, on_delete=models.CASCADE, related_name="rows"
    )
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    lead_label = models.CharField(max_length=300, blank=True)
    seen_version = models.PositiveIntegerField()
    outcome = models.CharField(
        max_length=9,
        choices=MassUpdateOutcome.choices,
        default=MassUpdateOutcome.PENDING,
    )
    reason = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    version_after = models.PositiveIntegerField(null=True, blank=True)
    undo_outcome = models.CharField(
        max_length=8, choices=UndoOutcome.choices, default=UndoOutcome.NONE, blank=True
    )
    undo_reason = models.TextField(blank=True)

    class Meta:
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
