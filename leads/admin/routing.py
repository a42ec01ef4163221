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
        "source",
        "country",
        "industry",
        "target_user",
        "target_team",
        "distribution",
    ]
    list_display_links = ["name"]
    list_select_related = ["business_unit", "target_user", "target_team"]
    list_filter = ["is_active", "business_unit", "distribution"]
    search_fields = ["name"]
    autocomplete_fields = [
        "business_unit",
        "campaign",
        "channel_partner",
        "capture_form",
        "lead_business_unit",
        "target_user",
        "target_team",
    ]
    readonly_fields = ["last_assigned_user"]
    fieldsets = [
        (None, {"fields": ["name", "order", "is_active", "business_unit"]}),
        (
            "Conditions (empty matches every lead)",
            {
                "fields": [
                    "source",
                    "country",
                    "industry",
                    ("min_employees", "max_employees"),
                    ("min_estimated_value", "max_estimated_value"),
                    "campaign",
                    "channel_partner",
                    "capture_form",
                    "lead_business_unit",
                ]
            },
        ),
        (
            "Target",
            {
                "fields": [
                    ("target_user", "target_team"),
                    "distribution",
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
