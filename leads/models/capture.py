"""Where leads come from: campaigns and public capture forms."""

import secrets

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import (
    MONEY,
    BusinessUnit,
)
from leads.models.choices import LeadSource
from leadsite.dates import validate_business_date


class Campaign(models.Model):
    """A marketing effort leads can come from; its cost feeds cost-per-lead."""

    name = models.CharField(max_length=128, unique=True)
    source = models.PositiveSmallIntegerField(
        choices=LeadSource.choices, null=True, blank=True
    )
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    start_date = models.DateField(
        null=True, blank=True, validators=[validate_business_date]
    )
    end_date = models.DateField(
        null=True, blank=True, validators=[validate_business_date]
    )
    cost = models.DecimalField(
        "actual cost", **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost__gte=0) | Q(cost__isnull=True),
                name="campaign_cost_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="campaign_period_ordered",
                violation_error_message="A campaign cannot end before it starts.",
            ),
        ]

    def __str__(self):
        return self.name


def new_capture_token():
    return secrets.token_urlsafe(16)


class CaptureForm(models.Model):
    """A public web form whose submissions become leads."""

    name = models.CharField(max_length=128)
    token = models.CharField(max_length=64, unique=True, default=new_capture_token)
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    default_source = models.PositiveSmallIntegerField(
        choices=LeadSource.choices, default=LeadSource.WEB
    )
    fields_shown = models.JSONField(
        default=list,
        blank=True,
        help_text="Lead field names shown besides last name, email and message.",
    )
    thank_you_text = models.TextField(default="Thank you, we will be in touch soon.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
