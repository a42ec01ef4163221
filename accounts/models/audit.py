"""The export log: who took which records out of LeadSite, when, with which filter,
and how many rows (accounts.services.audit writes it from every export path)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportedRecords(models.TextChoices):
    LEADS = "leads", _("Leads")
    ACCOUNTS = "accounts", _("Accounts")
    CONTACTS = "contacts", _("Contacts")
    OPPORTUNITIES = "opportunities", _("Opportunities")

    @classmethod
    def of_model(cls, model) -> "ExportedRecords":
        """The records a list of `model` (Lead, Account, Contact, Opportunity) holds."""
        return {
            "lead": cls.LEADS,
            "account": cls.ACCOUNTS,
            "contact": cls.CONTACTS,
            "opportunity": cls.OPPORTUNITIES,
        }[model._meta.model_name]


class ExportChannel(models.TextChoices):
    CSV = "csv", _("CSV file")
    XLSX = "xlsx", _("Excel workbook")
    API = "api", _("API list")


class ExportLog(models.Model):
    """One export: a file downloaded or built in the background, or a read through
    the API's list pages that reached LEADSITE_EXPORT_LOG_API_ROWS rows (its row
    count grows while the reader follows the `next` links). Never edited by hand."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    records = models.CharField(
        _("records"), max_length=16, choices=ExportedRecords.choices
    )
    channel = models.CharField(_("as"), max_length=8, choices=ExportChannel.choices)
    query = models.TextField(
        _("filter"),
        blank=True,
        help_text=_("The list's query string: filters, saved view, search, order."),
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    last_read_at = models.DateTimeField(
        _("last read"),
        null=True,
        blank=True,
        help_text=_("API: when the reader took the last page so far."),
    )

    class Meta:
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="export_log_recent"),
            models.Index(
                fields=["user", "-created_at", "-id"], name="export_log_user_recent"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.records} {self.channel} {self.row_count}"


class ApiListRead(models.Model):
    """Bookkeeping of a read through an API list page by page: the rows taken so
    far and the cursor of the `next` link the reader was given, by which the next
    page is recognised as the same read. Becomes an ExportLog entry once it reaches
    the threshold; rows older than a day are purged by the retention run."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    records = models.CharField(max_length=16, choices=ExportedRecords.choices)
    query = models.TextField(blank=True)
    rows = models.PositiveIntegerField(default=0)
    # SHA-256 (hex) of the cursor in the `next` link handed out; blank at the end.
    next_cursor = models.CharField(max_length=64, blank=True)
    log = models.ForeignKey(
        ExportLog, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("API list read")
        verbose_name_plural = _("API list reads")
        indexes = [
            models.Index(fields=["user", "next_cursor"], name="api_list_read_next"),
            models.Index(fields=["updated_at"], name="api_list_read_age"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.records}: {self.rows}"
