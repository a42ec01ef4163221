"""Routing rules and the assignment log."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import (
    MONEY,
    Account,
    BusinessUnit,
    Industry,
    Team,
)
from leads.models.capture import Campaign, CaptureForm
from leads.models.choices import LeadSource
from leads.models.lifecycle import Lead


class Distribution(models.TextChoices):
    ROUND_ROBIN = "round_robin", "Round robin"
    LEAST_LOADED = "least_loaded", "Least loaded"


class RoutingRule(models.Model):
    """An ordered rule: conditions on lead fields and a user or team to assign to."""

    name = models.CharField(max_length=128)
    order = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    is_active = models.BooleanField(default=True)
    business_unit = models.ForeignKey(
        BusinessUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The unit this rule belongs to (managers edit their unit's rules).",
    )
    # Conditions: an empty condition matches every lead.
    source = models.PositiveSmallIntegerField(
        choices=LeadSource.choices, null=True, blank=True
    )
    country = models.CharField(max_length=80, blank=True)
    industry = models.PositiveSmallIntegerField(
        choices=Industry.choices, null=True, blank=True
    )
    min_employees = models.PositiveIntegerField(null=True, blank=True)
    max_employees = models.PositiveIntegerField(null=True, blank=True)
    min_estimated_value = models.DecimalField(**MONEY, null=True, blank=True)
    max_estimated_value = models.DecimalField(**MONEY, null=True, blank=True)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel_partner = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"is_partner": True},
    )
    capture_form = models.ForeignKey(
        CaptureForm, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    lead_business_unit = models.ForeignKey(
        BusinessUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Matches leads owned in this business unit.",
    )
    # Target
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    target_team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    distribution = models.CharField(
        max_length=20, choices=Distribution.choices, default=Distribution.ROUND_ROBIN
    )
    last_assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="Round-robin cursor: the member who got the previous lead.",
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(target_user__isnull=False) & Q(target_team__isnull=True))
                | (Q(target_user__isnull=True) & Q(target_team__isnull=False)),
                name="routing_rule_target_user_xor_team",
                violation_error_message="A rule assigns to a user or to a team, exactly one.",
            ),
        ]
        indexes = [
            models.Index(fields=["is_active", "order"], name="routing_rule_active")
        ]

    def __str__(self):
        return self.name


class AssignmentReason(models.TextChoices):
    MATCHED = "matched", "Matched rule"
    FALLBACK = "fallback", "No match: fallback"
    TEAM_FULL = "team_full", "Team full: fallback"
    MANUAL = "manual", "Assigned by hand"


class LeadAssignment(models.Model):
    """The assignment log: who got a lead, through which rule, and why."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="assignments")
    rule = models.ForeignKey(
        RoutingRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
    )
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=AssignmentReason.choices)
    detail = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lead", "-created_at"], name="assignment_lead")]

    def __str__(self):
        return f"{self.lead_id} → {self.assigned_user or self.assigned_team} ({self.reason})"
