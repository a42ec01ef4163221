"""Admin for routing rules and the assignment log."""

from django.contrib import admin

from leads.admin.common import _scoped_by_lead
from leads.models import LeadAssignment, RoutingRule


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
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
    list_select_related = [
        "business_unit",
        "channel_partner",
        "target_user",
        "target_team",
    ]
    list_filter = ["is_active", "business_unit", "distribution"]
    search_fields = ["name"]
    autocomplete_fields = [
        "business_unit",
        "channel_partner",
        "target_user",
        "target_team",
    ]
    readonly_fields = ["last_assigned_user"]
    fieldsets = [
        (None, {"fields": ["name", "order", "is_active"]}),
        (
            "Level (neither: organisation)",
            {"fields": ["business_unit", "channel_partner"]},
        ),
        (
            "Conditions: a list of {field, op, value}, joined by AND",
            {"fields": ["conditions"]},
        ),
        (
            "Target",
            {
                "fields": [
                    ("target_user", "target_team"),
                    "distribution",
                    "reroute_after_hours",
                    "last_assigned_user",
                ]
            },
        ),
    ]


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
