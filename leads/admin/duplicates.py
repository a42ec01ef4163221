"""Admin for duplicate rules (saved through save_duplicate_rule, as on the rules
page) and the scans (read-only: the scan job writes them; the groups are on
the scan page)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ServiceAdminMixin
from leads.models import DuplicateGroup, DuplicateRule, DuplicateScan
from leads.services.duplicates import can_edit_duplicate_rule, save_duplicate_rule


@admin.register(DuplicateRule)
class DuplicateRuleAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "record_type",
        "business_unit",
        "action",
        "exclude_closed",
        "is_published",
        "version",
    ]
    list_select_related = ["business_unit"]
    list_filter = ["record_type", "action", "is_published"]
    search_fields = ["name"]
    autocomplete_fields = ["business_unit"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "business_unit",
                    "action",
                    "exclude_closed",
                    "is_published",
                ]
            },
        ),
        (
            _("Conditions: a list of {field, method, parameter}, joined by AND"),
            {"fields": ["conditions"]},
        ),
    ]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can_edit_duplicate_rule(request.user, obj))

    def service_create(self, request, obj, fields):
        conditions = fields.pop("conditions", None) or []
        return save_duplicate_rule(by=request.user, conditions=conditions, **fields)

    def service_update(self, request, obj, fields, expected_version=None):
        # `obj` carries the posted values: its conditions are the form's.
        conditions = fields.pop("conditions", obj.conditions)
        return save_duplicate_rule(
            by=request.user,
            rule=obj,
            conditions=conditions,
            expected_version=expected_version,
            **fields,
        )


@admin.register(DuplicateScan)
class DuplicateScanAdmin(admin.ModelAdmin):
    list_display = ["pk", "created_at", "created_by", "status", "group_count"]
    list_select_related = ["created_by"]
    list_filter = ["status"]
    readonly_fields = [
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "status",
        "rules_total",
        "rules_done",
        "records_total",
        "records_done",
        "group_count",
        "notes",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DuplicateGroup)
class DuplicateGroupAdmin(admin.ModelAdmin):
    """A scan's groups, read-only (the scan's page links them to the merge)."""

    list_display = ["pk", "scan", "rule_name", "size"]
    list_select_related = ["scan"]
    list_filter = ["rule_name"]
    fields = ["scan", "rule", "rule_name", "size", "record_ids"]
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
