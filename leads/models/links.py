"""A lead's links to accounts and contacts, and its product interests."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    Account,
    Contact,
    Product,
)
from leads.models.lifecycle import Lead


class LeadAccount(models.Model):
    """A lead associated with an account (N:N, idempotent)."""

    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        related_name="account_links",
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="lead_links",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("lead account")
        verbose_name_plural = _("lead accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "account"], name="lead_account_unique"
            )
        ]

    def __str__(self):
        return gettext("Lead %(lead)s ↔ account %(account)s") % {
            "lead": self.lead_id,
            "account": self.account_id,
        }


class LeadContact(models.Model):
    """A lead associated with a contact (N:N, idempotent)."""

    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        related_name="contact_links",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="lead_links",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("lead contact")
        verbose_name_plural = _("lead contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "contact"], name="lead_contact_unique"
            )
        ]

    def __str__(self):
        return gettext("Lead %(lead)s ↔ contact %(contact)s") % {
            "lead": self.lead_id,
            "contact": self.contact_id,
        }


class LeadProduct(models.Model):
    """A product or service the lead asked about (customer request)."""

    lead = models.ForeignKey(
        Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="interests"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("lead product")
        verbose_name_plural = _("lead products")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "product"], name="lead_product_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="lead_product_quantity_non_negative"
            ),
        ]

    def __str__(self):
        return f"{self.product} × {self.quantity}"
