"""Admin for the source report's summary rows (derived, read-only)."""

from django.contrib import admin

from leads.models import SourceReportDay, SourceReportDirty, SourceReportHistogram


class ReadOnlySummaryAdmin(admin.ModelAdmin):
    """Summary rows the triggers and the report maintain: shown, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SourceReportDay, SourceReportHistogram)
class SourceReportSummaryAdmin(ReadOnlySummaryAdmin):
    list_display = ["__str__", "period", "level", "source", "business_unit"]


@admin.register(SourceReportDirty)
class SourceReportDirtyAdmin(ReadOnlySummaryAdmin):
    list_display = ["day"]
