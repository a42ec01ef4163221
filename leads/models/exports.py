"""Exports built in the background: a lead list too big to build while the browser
waits becomes a job that the worker writes to a file, which only its requester may
download, for a limited time."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel workbook (.xlsx)")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Building the file")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Removed")


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
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )
    query = models.TextField(
        _("query"),
        blank=True,
        help_text=_("The lead list's query string (filters, view, sort)."),
    )
    file_format = models.CharField(
        _("file format"),
        max_length=8,
        choices=ExportFormat.choices,
        default=ExportFormat.XLSX,
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=ExportStatus.choices,
        default=ExportStatus.QUEUED,
    )
    total_rows = models.PositiveIntegerField(
        _("total rows"),
        default=0,
        help_text=_("Leads matching when the build started."),
    )
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    file = models.FileField(
        _("file"), upload_to=export_path, max_length=255, blank=True
    )
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_by", "-created_at"], name="export_job_user_recent"
            ),
            models.Index(fields=["status", "finished_at"], name="export_job_expiry"),
        ]

    def __str__(self):
        return gettext("Export #%(id)s (%(format)s)") % {
            "id": self.pk,
            "format": self.file_format,
        }

    def get_absolute_url(self):
        return reverse("leads:export-job", args=[self.pk])

    @property
    def download_name(self) -> str:
        """The file name the browser saves: when the export was asked for."""
        stamp = timezone.localtime(self.created_at).strftime("%Y%m%d-%H%M")
        return f"leads-{stamp}.{self.file_format}"
