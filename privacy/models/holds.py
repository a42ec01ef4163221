"""A legal hold: while one is active on a lead or contact, the person's data may
be neither erased nor removed by retention."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LegalHold(models.Model):
    lead = models.ForeignKey(
        "leads.Lead",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="legal_holds",
        verbose_name=_("lead"),
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="legal_holds",
        verbose_name=_("contact"),
    )
    reason = models.TextField(_("reason"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("set by"),
    )
    set_at = models.DateTimeField(_("set at"), default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-set_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(lead__isnull=False) & Q(contact__isnull=True))
                | (Q(lead__isnull=True) & Q(contact__isnull=False)),
                name="legal_hold_one_record",
            )
        ]
        indexes = [
            models.Index(
                fields=["lead"],
                condition=Q(released_at__isnull=True),
                name="legal_hold_active_lead",
            ),
            models.Index(
                fields=["contact"],
                condition=Q(released_at__isnull=True),
                name="legal_hold_active_contact",
            ),
        ]

    def __str__(self):
        return str(self.reason)[:60]

    @property
    def active(self) -> bool:
        return self.released_at is None
