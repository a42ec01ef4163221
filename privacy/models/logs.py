"""The privacy log: every access export and every erasure, who did it, when, for
which records and how much. An erasure's row keeps record ids and counts only,
never the values it erased."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class AccessRequest(models.Model):
    """One access export (a ZIP of everything held about a person), as built."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    person = models.CharField(
        _("person"),
        max_length=300,
        help_text=_("Whom the export was for, as the records named them then."),
    )
    query = models.CharField(
        _("searched for"),
        max_length=320,
        blank=True,
        help_text=_(
            "The email address searched for, when the export came from a search."
        ),
    )
    lead_ids = models.JSONField(_("leads"), default=list, blank=True)
    contact_ids = models.JSONField(_("contacts"), default=list, blank=True)
    counts = models.JSONField(_("items per kind"), default=dict, blank=True)
    item_count = models.PositiveIntegerField(_("items"), default=0)
    file_count = models.PositiveIntegerField(_("files"), default=0)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    sha256 = models.CharField(_("SHA-256 of the ZIP"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return str(self.person)


class ErasureStatus(models.TextChoices):
    FILES_PENDING = "files_pending", _("Files being removed")
    DONE = "done", _("Done")
    FILES_FAILED = "files_failed", _("Some files remain")


class Erasure(models.Model):
    """One erasure ("forget this person"): the records it erased, how many rows it
    changed in each place, and each file it removed, checked gone after the
    database's commit. No erased value is kept here."""

    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("erased by"),
    )
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now)
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        help_text=_(
            "Your reference for the request (a ticket number), never the person's "
            "name or address."
        ),
    )
    lead_ids = models.JSONField(_("leads"), default=list, blank=True)
    contact_ids = models.JSONField(_("contacts"), default=list, blank=True)
    counts = models.JSONField(_("rows changed per place"), default=dict, blank=True)
    files = models.JSONField(
        _("files"),
        default=list,
        blank=True,
        help_text=_("Each file to remove or rewrite: its path, kind and result."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ErasureStatus.choices,
        default=ErasureStatus.FILES_PENDING,
    )
    files_checked_at = models.DateTimeField(
        _("files checked at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        ordering = ["-erased_at", "-id"]

    def __str__(self):
        return gettext("Erasure #%(id)s") % {"id": self.pk}

    def get_absolute_url(self):
        return reverse("privacy:erasure", args=[self.pk])

    @property
    def row_count(self) -> int:
        return sum(self.counts.values())
