"""Admin for background export jobs: a log of who exported what (read-only; jobs
are created and built only through leads.services.exports)."""

from django.contrib import admin

from leads.admin.common import ReadOnlyAdmin
from leads.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "created_by",
        "file_format",
        "status",
        "rows_done",
        "created_at",
    ]
    list_filter = ["status", "file_format"]
    list_select_related = ["created_by"]
    # The file is downloaded only by its requester, through the guarded view.
    fields = [
        "created_by",
        "created_at",
        "query",
        "file_format",
        "status",
        "total_rows",
        "rows_done",
        "file_size",
        "started_at",
        "finished_at",
        "error",
    ]
