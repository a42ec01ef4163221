from django.contrib import admin

from scheduling.models import ScheduledRun


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    """What the schedulers queued, newest first (read-only: they write it)."""

    list_display = ["job", "due_at", "created_at", "task_id", "joined"]
    list_filter = ["job", "joined"]
    date_hierarchy = "due_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
