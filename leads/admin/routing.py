"""Admin for routing rules and the assignment log."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ServiceAdminMixin
from leads.admin.common import _scoped_by_lead
from leads.models import LeadAssignment, RoutingRule
from leads.permissions import can_edit_routing_rule
from leads.services.routing import RULE_FIELD_GROUPS, save_routing_rule

# A rule's relations: picked with autocomplete, joined in the changelist.
_RELATIONS = ["business_unit", "channel_partner", "target_user", "target_team"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Rules are saved through save_routing_rule (conditions normalised, the
    editor's permission checked), as on the routing pages; switched off, not
    deleted."""

    list_display = [
        "order",
        "name",
        "is_active",
        "business_unit",
        "channel_partner",
        "target_user",
        "target_team",
        "distribution",
    ]
    list_display_links = ["name"]
    list_select_related = _RELATIONS
    list_filter = ["is_active", "business_unit", "distribution"]
    search_fields = ["name"]
    autocomplete_fields = _RELATIONS
    readonly_fields = ["last_assigned_user"]
    fieldsets = [
        (None, {"fields": RULE_FIELD_GROUPS["rule"]}),
        (_("Level (neither: organisation)"), {"fields": RULE_FIELD_GROUPS["level"]}),
        (
            _("Conditions: a list of {field, op, value}, joined by AND"),
            {"fields": ["conditions"]},
        ),
        (
            _("Target"),
            {"fields": [*RULE_FIELD_GROUPS["target"], "last_assigned_user"]},
        ),
    ]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can_edit_routing_rule(request.user, obj))

    def service_create(self, request, obj, fields):
        conditions = fields.pop("conditions", None) or []
        return save_routing_rule(by=request.user, conditions=conditions, **fields)

    def service_update(self, request, obj, fields, expected_version=None):
        # `obj` carries the posted values: its conditions are the form's.
        conditions = fields.pop("conditions", obj.conditions)
        return save_routing_rule(
            by=request.user,
            rule=obj,
            conditions=conditions,
            expected_version=expected_version,
            **fields,
        )


@admin.register(LeadAssignment)
class LeadAssignmentAdmin(admin.ModelAdmin):
    """The assignment log is read-only: entries are written by routing."""

    list_display = [
        "created_at",
        "lead",
        "rule",
        "assigned_user",
        "assigned_team",
        "reason",
        "by",
    ]
    list_select_related = ["lead", "rule", "assigned_user", "assigned_team", "by"]
    list_filter = ["reason"]
    search_fields = ["lead__last_name", "detail"]
    show_full_result_count = False

    def get_queryset(self, request):
        return _scoped_by_lead(request, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
