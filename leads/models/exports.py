"""Exports built in the background: a lead list too big to build while the browser
waits becomes a job that the worker writes to a file, which only its requester may
download, for a limited time."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", "Excel workbook (.xlsx)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Building the file"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Removed"


def export_path(instance, filename):
    # A generated name: nothing in the path tells whose leads or which filter.
    return (
        f"exports/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{instance.file_format}"
    )


class ExportJob(models.Model):
    """One background export of the lead list: who asked, for which filters (the
    list's query string, applied again in the worker within the requester's scope),
    how far the worker got, and the file while it is kept."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    query = models.TextField(
        blank=True, help_text="The lead list's query string (filters, view, sort)."
    )
    file_format = models.CharField(
        max_length=8, choices=ExportFormat.choices, default=ExportFormat.XLSX
    )
    status = models.CharField(
        max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(
        default=0, help_text="Leads matching when the build started."
    )
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_path, max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_by", "-created_at"], name="export_job_user_recent"
            ),
            models.Index(fields=["status", "finished_at"], name="export_job_expiry"),
        ]

    def __str__(self):
        return f"Export #{self.pk} ({self.file_format})"

    def get_absolute_url(self):
        return reverse("leads:export-job", args=[self.pk])

    @property
    def download_name(self) -> str:
        """The file name the browser saves: when the export was asked for."""
        stamp = timezone.localtime(self.created_at).strftime("%Y%m%d-%H%M")
        return f"leads-{stamp}.{self.file_format}"
