"""Imports: each uploaded file is a batch; each processed row leaves a result, so a
batch can be reported on, resumed after a crash, and undone.

A batch goes checking → mapping (or refused) → queued → running → done, and from
done (or interrupted) undoing → undone. Checking, running and undoing happen in a
background worker; a web request only stores the file or queues the next step."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class DuplicateMode(models.TextChoices):
    SKIP = "skip", "Skip rows that match an existing lead"
    FLAG = "flag", "Import them anyway, flagged as possible duplicates"
    UPDATE = "update", "Update the existing lead"


class ImportStatus(models.TextChoices):
    CHECKING = "checking", "Reading the file"
    REFUSED = "refused", "Refused"
    MAPPING = "mapping", "Waiting for mapping"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Finished"
    UNDOING = "undoing", "Undoing"
    UNDONE = "undone", "Undone"


class ImportBatch(models.Model):
    """One uploaded file and what became of it."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8)  # csv or xlsx
    encoding = models.CharField(max_length=32, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(
        default=dict, blank=True, help_text="Column index (as text) → lead field name."
    )
    fills = models.JSONField(
        default=dict,
        blank=True,
        help_text="Required lead field → the text (a constant, or a template with "
        "{field} placeholders) it takes where no column gives it a value.",
    )
    source_system = models.CharField(
        max_length=20,
        blank=True,
        help_text="The product whose export the file is (d365, salesforce, hubspot, "
        "odoo), recognised from its header; empty for any other file.",
    )
    total_rows = models.PositiveIntegerField(
        default=0, help_text="Data rows in the file (while checking: read so far)."
    )
    duplicate_mode = models.CharField(
        max_length=8, choices=DuplicateMode.choices, default=DuplicateMode.SKIP
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Gets every imported lead; empty: the routing rules decide.",
    )
    status = models.CharField(
        max_length=8, choices=ImportStatus.choices, default=ImportStatus.CHECKING
    )
    refusal = models.TextField(
        blank=True, help_text="Why the file was refused (status refused)."
    )
    rows_done = models.PositiveIntegerField(
        default=0, help_text="Data rows processed and committed (the resume point)."
    )
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last sign of life of the worker checking, importing or undoing.",
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undo_report = models.JSONField(
        default=dict,
        blank=True,
        help_text="deleted, restored, kept; while undoing also done, total and "
        "line (the last row undone, the resume point).",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "import batches"

    def __str__(self):
        return f"Import #{self.pk}: {self.original_name}"

    def get_absolute_url(self):
        return reverse("leads:import-detail", args=[self.pk])


class RowOutcome(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class ImportRow(models.Model):
    """What one data row of a batch became; `previous` keeps the values an update
    replaced and `applied` the values it wrote, for undo."""

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="rows"
    )
    line = models.PositiveIntegerField(help_text="Line in the file (header is 1).")
    outcome = models.CharField(max_length=8, choices=RowOutcome.choices)
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField(blank=True)
    previous = models.JSONField(default=dict, blank=True)
    applied = models.JSONField(default=dict, blank=True)
    lead_modified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "line"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line"], name="import_row_once")
        ]

    def __str__(self):
        return f"{self.batch_id}:{self.line} {self.outcome}"
