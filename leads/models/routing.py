"""Routing rules and the assignment log."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, BusinessUnit, Team
from leads.models.lifecycle import Lead
from leads.routing.conditions import validate_conditions
from leads.routing.matching import rule_level


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
        help_text="A business unit's rule: applies to leads of that unit and below.",
    )
    channel_partner = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"is_partner": True},
        help_text="A channel partner's rule: applies to that partner's leads, first.",
    )
    # Conditions: a validated list of {"field", "op", "value"} joined by AND (see
    # leads.routing.conditions); an empty list matches every lead of its level.
    conditions = models.JSONField(
        default=list, blank=True, validators=[validate_conditions]
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
    reroute_after_hours = models.PositiveIntegerField(
        "re-route if not contacted within (hours)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Empty: never re-routed for lack of contact.",
    )
    # Raised by every edit of the rule (leads.services.routing; never by a routing
    # run's round-robin cursor); the rule form, the admin and the API's If-Match
    # carry the version an edit was based on (leadsite.core.versioning).
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(target_user__isnull=False) & Q(target_team__isnull=True))
                | (Q(target_user__isnull=True) & Q(target_team__isnull=False)),
                name="routing_rule_target_user_xor_team",
                violation_error_message="A rule assigns to a user or to a team, exactly one.",
            ),
            models.CheckConstraint(
                condition=Q(business_unit__isnull=True)
                | Q(channel_partner__isnull=True),
                name="routing_rule_one_level",
                violation_error_message=(
                    "A rule belongs to a business unit or to a channel partner, "
                    "not both."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["is_active", "order"], name="routing_rule_active")
        ]

    def __str__(self):
        return self.name

    @property
    def level(self) -> str:
        return rule_level(self)


class AssignmentReason(models.TextChoices):
    MATCHED = "matched", "Matched rule"
    FALLBACK = "fallback", "No match: fallback"
    TEAM_FULL = "team_full", "Team full: fallback"
    MANUAL = "manual", "Assigned by hand"
    REROUTED = "rerouted", "Not contacted: re-routed"
    UNCHANGED = "unchanged", "Nobody eligible: left as is"
    KEPT = "kept", "Not routed: kept by creator"


class AssignmentTrigger(models.TextChoices):
    FORM = "form", "Lead form"
    CAPTURE = "capture", "Capture form"
    IMPORT = "import", "Import"
    BULK = "bulk", "Bulk route"
    ADMIN = "admin", "Admin action"
    REROUTE = "reroute", "Response-time check"
    SEED = "seed", "Demo data"
    AGAIN = "again", "Route again"
    MANUAL = "manual", "Manual assignment"


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
    trigger = models.CharField(
        max_length=20, choices=AssignmentTrigger.choices, blank=True
    )
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
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="assignment_lead"),
            models.Index(fields=["rule", "created_at"], name="assignment_rule"),
        ]

    def __str__(self):
        return f"{self.lead_id} → {self.assigned_user or self.assigned_team} ({self.reason})"
