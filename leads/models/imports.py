"""Imports: each uploaded file is a batch; each processed row leaves a result, so a
batch can be reported on, resumed after a crash, and undone.

A batch goes checking → mapping (or refused) → queued → running → done, and from
done (or interrupted) undoing → undone. Checking, running and undoing happen in a
background worker; a web request only stores the file or queues the next step."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class DuplicateMode(models.TextChoices):
    SKIP = "skip", _("Skip rows that match an existing lead")
    FLAG = "flag", _("Import them anyway, flagged as possible duplicates")
    UPDATE = "update", _("Update the existing lead")


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("Reading the file")
    REFUSED = "refused", _("Refused")
    MAPPING = "mapping", _("Waiting for mapping")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    UNDOING = "undoing", _("Undoing")
    UNDONE = "undone", _("Undone")


class ImportBatch(models.Model):
    """One uploaded file and what became of it."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("original name"), max_length=255)
    file_format = models.CharField(_("file format"), max_length=8)  # csv or xlsx
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    headers = models.JSONField(_("headers"), default=list, blank=True)
    mapping = models.JSONField(
        _("mapping"),
        default=dict,
        blank=True,
        help_text=_("Column index (as text) → lead field name."),
    )
    fills = models.JSONField(
        _("fills"),
        default=dict,
        blank=True,
        help_text=_(
            "Required lead field → the text (a constant, or a template with "
            "{field} placeholders) it takes where no column gives it a value."
        ),
    )
    source_system = models.CharField(
        _("source system"),
        max_length=20,
        blank=True,
        help_text=_(
            "The product whose export the file is (d365, salesforce, hubspot, "
            "odoo), recognised from its header; empty for any other file."
        ),
    )
    total_rows = models.PositiveIntegerField(
        _("total rows"),
        default=0,
        help_text=_("Data rows in the file (while checking: read so far)."),
    )
    duplicate_mode = models.CharField(
        _("duplicate mode"),
        max_length=8,
        choices=DuplicateMode.choices,
        default=DuplicateMode.SKIP,
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Gets every imported lead; empty: the routing rules decide."),
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=ImportStatus.choices,
        default=ImportStatus.CHECKING,
    )
    refusal = models.TextField(
        _("refusal"),
        blank=True,
        help_text=_("Why the file was refused (status refused)."),
    )
    rows_done = models.PositiveIntegerField(
        _("rows done"),
        default=0,
        help_text=_("Data rows processed and committed (the resume point)."),
    )
    created_count = models.PositiveIntegerField(_("created count"), default=0)
    updated_count = models.PositiveIntegerField(_("updated count"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped count"), default=0)
    failed_count = models.PositiveIntegerField(_("failed count"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        _("heartbeat at"),
        null=True,
        blank=True,
        help_text=_("Last sign of life of the worker checking, importing or undoing."),
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undo_report = models.JSONField(
        _("undo report"),
        default=dict,
        blank=True,
        help_text=_(
            "deleted, restored, kept; while undoing also done, total and "
            "line (the last row undone, the resume point)."
        ),
    )

    class Meta:
        verbose_name = _("import batch")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("import batches")

    def __str__(self):
        return gettext("Import #%(id)s: %(name)s") % {
            "id": self.pk,
            "name": self.original_name,
        }

    def get_absolute_url(self):
        return reverse("leads:import-detail", args=[self.pk])


class RowOutcome(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class ImportRow(models.Model):
    """What one data row of a batch became; `previous` keeps the values an update
    replaced and `applied` the values it wrote, for undo."""

    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("batch"),
        on_delete=models.CASCADE,
        related_name="rows",
    )
    line = models.PositiveIntegerField(
        _("line"), help_text=_("Line in the file (header is 1).")
    )
    outcome = models.CharField(_("outcome"), max_length=8, choices=RowOutcome.choices)
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    message = models.TextField(_("message"), blank=True)
    previous = models.JSONField(_("previous"), default=dict, blank=True)
    applied = models.JSONField(_("applied"), default=dict, blank=True)
    lead_modified_at = models.DateTimeField(
        _("lead modified at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        ordering = ["batch", "line"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line"], name="import_row_once")
        ]

    def __str__(self):
        return f"{self.batch_id}:{self.line} {self.outcome}"
