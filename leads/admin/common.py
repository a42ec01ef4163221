"""Helpers the lead admins share: lead scoping, the read-only admin."""

from django.contrib import admin

from accounts.permissions import scope_q

TIMELINE_TARGETS = ["lead", "account", "contact", "opportunity"]


def _scoped_by_lead(request, queryset):
    scope = scope_q(request.user, prefix="lead__")
    return queryset if scope is None else queryset.filter(scope)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only services, triggers or the report write: shown, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
