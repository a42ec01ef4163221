"""Admin for the source report's summary rows (derived, read-only)."""

from django.contrib import admin

from leads.admin.common import ReadOnlyAdmin
from leads.models import (
    SourceReportDay,
    SourceReportDirty,
    SourceReportHistogram,
    SourceReportStage,
    SourceReportState,
)


@admin.register(SourceReportDay, SourceReportHistogram)
class SourceReportSummaryAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "period", "level", "source", "business_unit"]


@admin.register(SourceReportStage)
class SourceReportStageAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "period", "level", "stage", "source", "business_unit"]


@admin.register(SourceReportDirty)
class SourceReportDirtyAdmin(ReadOnlyAdmin):
    list_display = ["day"]


@admin.register(SourceReportState)
class SourceReportStateAdmin(ReadOnlyAdmin):
    list_display = [
        "refreshed_at",
        "queued_at",
        "pending_days",
        "pending_from",
        "pending_to",
    ]
