"""Who sells: business units, users, teams; and the product catalog."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models.common import MONEY
from leadsite.core.dates import business_date_check
from leadsite.core.locale import validate_time_zone


class BusinessUnit(models.Model):
    """A node in the organisation tree; managers see their unit and everything below."""

    name = models.CharField(_("name"), max_length=160, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    default_owner = models.ForeignKey(
        "accounts.User",
        verbose_name=_("default owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Receives leads that no routing rule matches."),
    )

    class Meta:
        verbose_name = _("business unit")
        verbose_name_plural = _("business units")
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A LeadSite user; belongs to one business unit."""

    business_unit = models.ForeignKey(
        BusinessUnit,
        verbose_name=_("business unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    lead_capacity = models.PositiveIntegerField(
        _("lead capacity"),
        null=True,
        blank=True,
        help_text=_(
            "Most open leads routing may give this user; empty means no limit."
        ),
    )
    available_for_leads = models.BooleanField(
        _("available for new leads"),
        default=True,
        help_text=_(
            "Off: routing skips this user (until the date below, if one is set)."
        ),
    )
    unavailable_until = models.DateField(
        _("unavailable until"),
        null=True,
        blank=True,
        help_text=_(
            "Last day away; routing resumes the day after. Empty: until switched on."
        ),
    )
    email_signature = models.TextField(
        _("email signature"),
        blank=True,
        help_text=_("Ends the emails you send from a record ({{ signature }})."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Pages and emails in this language; empty: the browser's."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Times are shown in this zone; empty: the organisation's."),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]
        constraints = [business_date_check("user", "unavailable_until")]

    def __str__(self):
        return self.get_full_name() or self.username


class Team(models.Model):
    """A group of users that can own records and share routed leads."""

    name = models.CharField(_("name"), max_length=160, unique=True)
    business_unit = models.ForeignKey(
        BusinessUnit,
        verbose_name=_("business unit"),
        on_delete=models.PROTECT,
        related_name="teams",
    )
    members = models.ManyToManyField(
        User, verbose_name=_("members"), related_name="teams", blank=True
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Product(models.Model):
    """A catalog item a lead can be interested in and an opportunity can carry."""

    name = models.CharField(_("name"), max_length=160)
    product_number = models.CharField(_("product number"), max_length=40, unique=True)
    price = models.DecimalField(
        _("price"), **MONEY, default=0, validators=[MinValueValidator(0)]
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="product_price_non_negative"
            )
        ]

    def __str__(self):
        return self.name
