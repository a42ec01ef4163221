"""Admin for imports and capture logs: read-only, written by services."""

from django.contrib import admin

from leads.models import (
    CaptureSubmission,
    ImportBatch,
    ImportRow,
    PossibleDuplicate,
)


class _ReadOnlyLog(admin.ModelAdmin):
    """Written by the import and capture services only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(_ReadOnlyLog):
    list_display = [
        "original_name",
        "created_by",
        "created_at",
        "status",
        "total_rows",
        "created_count",
        "updated_count",
        "skipped_count",
        "failed_count",
    ]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    search_fields = ["original_name"]


@admin.register(ImportRow)
class ImportRowAdmin(_ReadOnlyLog):
    list_display = ["batch", "line", "outcome", "lead", "message"]
    list_filter = ["outcome"]
    list_select_related = ["batch", "lead"]
    raw_id_fields = ["batch", "lead"]
    show_full_result_count = False


@admin.register(CaptureSubmission)
class CaptureSubmissionAdmin(_ReadOnlyLog):
    list_display = ["created_at", "capture_form", "lead"]
    list_select_related = ["capture_form", "lead"]
    raw_id_fields = ["lead"]


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(_ReadOnlyLog):
    list_display = ["created_at", "lead", "matched_lead", "matched_contact", "reason"]
    list_select_related = ["lead", "matched_lead", "matched_contact"]
    raw_id_fields = ["lead", "matched_lead", "matched_contact"]
