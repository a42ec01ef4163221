"""Admin for mass updates: a log of who set what on which leads, and what became of
each lead (read-only; jobs are created, run and undone only through
leads.services.mass_update)."""

from django.contrib import admin

from leads.admin.common import ReadOnlyAdmin
from leads.models import MassUpdate, MassUpdateRow


@admin.register(MassUpdate)
class MassUpdateAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "created_by",
        "created_at",
        "status",
        "total",
        "updated_count",
        "unchanged_count",
        "skipped_count",
        "restored_count",
        "undo_skipped_count",
    ]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    fields = [
        "created_by",
        "created_at",
        "changes",
        "query",
        "status",
        "total",
        "rows_done",
        "updated_count",
        "unchanged_count",
        "skipped_count",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "undone_by",
        "undo_total",
        "undo_done",
        "restored_count",
        "undo_skipped_count",
        "undone_at",
    ]


@admin.register(MassUpdateRow)
class MassUpdateRowAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "mass_update",
        "lead",
        "outcome",
        "reason",
        "undo_outcome",
        "undo_reason",
    ]
    list_filter = ["outcome", "undo_outcome"]
    list_select_related = ["mass_update", "lead"]
    raw_id_fields = ["mass_update", "lead"]
    # A job's rows: search "=<job id>" (or a lead's id).
    search_fields = ["=mass_update__id", "=lead__id"]
    fields = [
        "mass_update",
        "lead",
        "lead_label",
        "seen_version",
        "outcome",
        "reason",
        "before",
        "after",
        "version_after",
        "undo_outcome",
        "undo_reason",
    ]
