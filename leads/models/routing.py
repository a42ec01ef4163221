"""Routing rules and the assignment log."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Account, BusinessUnit, Team
from leads.models.lifecycle import Lead
from leads.routing.conditions import validate_conditions
from leads.routing.matching import rule_level


class Distribution(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


class RoutingRule(models.Model):
    """An ordered rule: conditions on lead fields and a user or team to assign to."""

    name = models.CharField(_("name"), max_length=128)
    order = models.PositiveIntegerField(
        _("order"), default=100, help_text=_("Lower runs first.")
    )
    is_active = models.BooleanField(_("is active"), default=True)
    business_unit = models.ForeignKey(
        BusinessUnit,
        verbose_name=_("business unit"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("A business unit's rule: applies to leads of that unit and below."),
    )
    channel_partner = models.ForeignKey(
        Account,
        verbose_name=_("channel partner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"is_partner": True},
        help_text=_(
            "A channel partner's rule: applies to that partner's leads, first."
        ),
    )
    # Conditions: a validated list of {"field", "op", "value"} joined by AND (see
    # leads.routing.conditions); an empty list matches every lead of its level.
    conditions = models.JSONField(
        _("conditions"), default=list, blank=True, validators=[validate_conditions]
    )
    # Target
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("target user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    target_team = models.ForeignKey(
        Team,
        verbose_name=_("target team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    distribution = models.CharField(
        _("distribution"),
        max_length=20,
        choices=Distribution.choices,
        default=Distribution.ROUND_ROBIN,
    )
    last_assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last assigned user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text=_("Round-robin cursor: the member who got the previous lead."),
    )
    reroute_after_hours = models.PositiveIntegerField(
        _("re-route if not contacted within (hours)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: never re-routed for lack of contact."),
    )
    # Raised by every edit of the rule (leads.services.routing; never by a routing
    # run's round-robin cursor); the rule form, the admin and the API's If-Match
    # carry the version an edit was based on (leadsite.core.versioning).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(target_user__isnull=False) & Q(target_team__isnull=True))
                | (Q(target_user__isnull=True) & Q(target_team__isnull=False)),
                name="routing_rule_target_user_xor_team",
                violation_error_message=_(
                    "A rule assigns to a user or to a team, exactly one."
                ),
            ),
            models.CheckConstraint(
                condition=Q(business_unit__isnull=True)
                | Q(channel_partner__isnull=True),
                name="routing_rule_one_level",
                violation_error_message=(
                    _(
                        "A rule belongs to a business unit or to a channel partner, "
                        "not both."
                    )
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
    MATCHED = "matched", _("Matched rule")
    FALLBACK = "fallback", _("No match: fallback")
    TEAM_FULL = "team_full", _("Team full: fallback")
    MANUAL = "manual", _("Assigned by hand")
    REROUTED = "rerouted", _("Not contacted: re-routed")
    UNCHANGED = "unchanged", _("Nobody eligible: left as is")
    KEPT = "kept", _("Not routed: kept by creator")


class AssignmentTrigger(models.TextChoices):
    FORM = "form", _("Lead form")
    CAPTURE = "capture", _("Capture form")
    IMPORT = "import", pgettext_lazy("lead origin", "Import")
    BULK = "bulk", _("Bulk route")
    ADMIN = "admin", _("Admin action")
    REROUTE = "reroute", _("Response-time check")
    SEED = "seed", _("Demo data")
    AGAIN = "again", _("Route again")
    MANUAL = "manual", _("Manual assignment")


class LeadAssignment(models.Model):
    """The assignment log: who got a lead, through which rule, and why."""

    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    rule = models.ForeignKey(
        RoutingRule,
        verbose_name=_("rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
    )
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_team = models.ForeignKey(
        Team,
        verbose_name=_("assigned team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(
        _("reason"), max_length=20, choices=AssignmentReason.choices
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    trigger = models.CharField(
        _("trigger"), max_length=20, choices=AssignmentTrigger.choices, blank=True
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("lead assignment")
        verbose_name_plural = _("lead assignments")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="assignment_lead"),
            models.Index(fields=["rule", "created_at"], name="assignment_rule"),
        ]

    def __str__(self):
        return f"{self.lead_id} → {self.assigned_user or self.assigned_team} ({self.reason})"
