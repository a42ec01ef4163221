"""Who sells: business units, users, teams; and the product catalog."""

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models.common import MONEY
from leadsite.core.dates import business_date_check


class BusinessUnit(models.Model):
    """A node in the organisation tree; managers see their unit and everything below."""

    name = models.CharField(max_length=160, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    default_owner = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Receives leads that no routing rule matches.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A LeadSite user; belongs to one business unit."""

    business_unit = models.ForeignKey(
        BusinessUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    lead_capacity = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Most open leads routing may give this user; empty means no limit.",
    )
    available_for_leads = models.BooleanField(
        "available for new leads",
        default=True,
        help_text="Off: routing skips this user (until the date below, if one is set).",
    )
    unavailable_until = models.DateField(
        null=True,
        blank=True,
        help_text="Last day away; routing resumes the day after. Empty: until switched on.",
    )
    email_signature = models.TextField(
        blank=True,
        help_text="Ends the emails you send from a record ({{ signature }}).",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]
        constraints = [business_date_check("user", "unavailable_until")]

    def __str__(self):
        return self.get_full_name() or self.username


class Team(models.Model):
    """A group of users that can own records and share routed leads."""

    name = models.CharField(max_length=160, unique=True)
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.PROTECT, related_name="teams"
    )
    members = models.ManyToManyField(User, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Product(models.Model):
    """A catalog item a lead can be interested in and an opportunity can carry."""

    name = models.CharField(max_length=160)
    product_number = models.CharField(max_length=40, unique=True)
    price = models.DecimalField(**MONEY, default=0, validators=[MinValueValidator(0)])
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="product_price_non_negative"
            )
        ]

    def __str__(self):
        return self.name
