"""Who we sell to: accounts and contacts."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models.common import (
    MONEY,
    AddressFields,
    Industry,
    OwnedModel,
    owner_constraint,
)
from leadsite.core.history import record_history
from leadsite.core.phones import phone_digits_field


class Account(AddressFields, OwnedModel):
    """A company we do or may do business with."""

    name = models.CharField(_("account name"), max_length=160)
    account_number = models.CharField(_("account number"), max_length=20, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    phone = models.CharField(_("main phone"), max_length=50, blank=True)
    # The phone's digits, kept by the database (leadsite.core.phones).
    phone_digits = phone_digits_field("phone")
    email = models.EmailField(_("email"), blank=True)
    industry = models.PositiveSmallIntegerField(
        _("industry"), choices=Industry.choices, null=True, blank=True
    )
    annual_revenue = models.DecimalField(
        _("annual revenue"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    number_of_employees = models.PositiveIntegerField(
        _("number of employees"), null=True, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    is_partner = models.BooleanField(
        _("channel partner"),
        default=False,
        help_text=_("Can be named as a lead's channel partner."),
    )
    parent_account = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subaccounts",
    )
    primary_contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("primary contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = record_history(excluded_fields=["phone_digits"])

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name"]
        constraints = [
            owner_constraint("account_owner_user_xor_team"),
            models.CheckConstraint(
                condition=Q(annual_revenue__gte=0) | Q(annual_revenue__isnull=True),
                name="account_revenue_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["name"]),
            models.Index(fields=["email"]),
            models.Index(fields=["phone_digits"], name="account_phone_digits"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:account-detail", args=[self.pk])


class Contact(AddressFields, OwnedModel):
    """A person, usually working for an account."""

    salutation = models.CharField(_("salutation"), max_length=20, blank=True)
    first_name = models.CharField(_("first name"), max_length=50, blank=True)
    last_name = models.CharField(_("last name"), max_length=50)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    do_not_email = models.BooleanField(_("do not allow email"), default=False)
    business_phone = models.CharField(_("business phone"), max_length=50, blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=50, blank=True)
    # The phones' digits, kept by the database (leadsite.core.phones).
    business_phone_digits = phone_digits_field("business_phone")
    mobile_phone_digits = phone_digits_field("mobile_phone")
    description = models.TextField(_("description"), blank=True)
    account = models.ForeignKey(
        Account,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("company (parent account)"),
    )

    history = record_history(
        excluded_fields=["business_phone_digits", "mobile_phone_digits"]
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["last_name", "first_name"]
        constraints = [owner_constraint("contact_owner_user_xor_team")]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["email"]),
            models.Index(fields=["business_phone_digits"], name="contact_phone_digits"),
            models.Index(fields=["mobile_phone_digits"], name="contact_mobile_digits"),
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("accounts:contact-detail", args=[self.pk])

    @property
    def full_name(self):
        return " ".join(p for p in (self.first_name, self.last_name) if p)
