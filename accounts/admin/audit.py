"""Admin for the export log: read-only (entries are written only by
accounts.services.audit, from every export path). The page /privacy/retention/exports/
lists the same entries with filters by user and date. Also read-only: the
bookkeeping of API reads in progress (ApiListRead)."""

from django.contrib import admin

from accounts.admin.common import ReadOnlyAdmin
from accounts.models import ApiListRead, ExportLog


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at", "user", "records", "channel", "row_count", "last_read_at",
    ]  # fmt: skip
    list_filter = ["records", "channel", "created_at"]
    search_fields = ["user__username", "user__last_name", "query"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    # Newest first without counting a long log on every page.
    show_full_result_count = False
    readonly_fields = [
        "user", "created_at", "records", "channel", "query", "row_count",
        "last_read_at",
    ]  # fmt: skip


@admin.register(ApiListRead)
class ApiListReadAdmin(ReadOnlyAdmin):
    list_display = ["updated_at", "user", "records", "rows", "log"]
    list_filter = ["records"]
    list_select_related = ["user", "log"]
    readonly_fields = ["user", "records", "query", "rows", "log", "updated_at"]
