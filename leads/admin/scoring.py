"""Admin for lead scoring: the administrator's settings (one row, saved through
save_scoring_config with the version it was loaded at), the rebuild runs with a
"Rebuild scores now" button and their progress, and the scores and frequency
tables (read-only: written by leads.services.scoring only)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.admin import ServiceAdminMixin
from accounts.permissions import is_administrator
from leads.admin.common import ReadOnlyAdmin, _scoped_by_lead
from leads.models import (
    LeadScore,
    RebuildStatus,
    ScoreCount,
    ScoreRebuild,
    ScoringConfig,
)
from leads.services.scoring import request_rebuild, save_scoring_config
from leads.tasks import rebuild_lead_scores

SETTINGS_PK = 1
ACTIVE = [RebuildStatus.QUEUED, RebuildStatus.RUNNING]


@admin.register(ScoringConfig)
class ScoringConfigAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """One row (pk 1): its list is its change form. Before the first save the form
    shows the defaults; saving creates the row."""

    fieldsets = [
        (_("Grades"), {"fields": ["grade_a", "grade_b", "grade_c"]}),
        (
            _("When the model gives a number"),
            {"fields": ["min_closed", "min_each", "min_unit_closed"]},
        ),
        (None, {"fields": ["modified_at"]}),
    ]
    readonly_fields = ["modified_at"]

    def has_add_permission(self, request):
        return False

    def get_object(self, request, object_id, from_field=None):
        if str(object_id) != str(SETTINGS_PK):
            return None
        return ScoringConfig.objects.filter(pk=SETTINGS_PK).first() or ScoringConfig(
            pk=SETTINGS_PK
        )

    def changelist_view(self, request, extra_context=None):
        # The list of one row is that row's form (it posts back here).
        return self.change_view(request, str(SETTINGS_PK), extra_context=extra_context)

    def service_update(self, request, obj, fields, expected_version=None):
        return save_scoring_config(
            by=request.user, expected_version=expected_version, **fields
        )


@admin.register(ScoreRebuild)
class ScoreRebuildAdmin(ReadOnlyAdmin):
    """The rebuild runs, newest first. "Rebuild scores now" queues one (or joins
    the one already queued); its page shows the progress and reloads itself while
    it runs."""

    list_display = [
        "pk",
        "created_at",
        "requested_by",
        "status",
        "progress",
        "closed_counted",
        "finished_at",
    ]
    list_display_links = ["pk", "created_at"]
    list_filter = ["status"]
    list_select_related = ["requested_by"]
    fields = [
        "status",
        "progress",
        "requested_by",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "closed_counted",
        "error",
    ]
    readonly_fields = fields

    @admin.display(description=_("Progress"))
    def progress(self, obj):
        return gettext("%(percent)s%% (%(done)s of %(total)s open leads rescored)") % {
            "percent": obj.percent,
            "done": number_format(obj.done, force_grouping=True),
            "total": number_format(obj.total, force_grouping=True),
        }

    def get_urls(self):
        rebuild = self.admin_site.admin_view(self.rebuild_view)
        return [
            path("rebuild/", rebuild, name="leads_scorerebuild_rebuild"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        context = {
            "may_rebuild": is_administrator(request.user),
            # The list reloads itself while a rebuild is queued or running.
            "rebuild_active": ScoreRebuild.objects.filter(status__in=ACTIVE).exists(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {"active_statuses": ACTIVE, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    def rebuild_view(self, request):
        return _rebuild(request)


@require_POST
def _rebuild(request):
    """Queue a full rebuild (after the commit, so the worker finds its row), or
    join the one already queued; then show its progress."""
    if not is_administrator(request.user):
        raise PermissionDenied
    with transaction.atomic():
        rebuild, created = request_rebuild(by=request.user)
        if created:
            transaction.on_commit(lambda: rebuild_lead_scores.enqueue(rebuild.pk))
    if created:
        messages.success(
            request, gettext("Score rebuild queued. This page shows its progress.")
        )
    else:
        messages.info(
            request,
            gettext(
                "A rebuild was already queued; your request joins it. This page "
                "shows its progress."
            ),
        )
    return redirect(reverse("admin:leads_scorerebuild_change", args=[rebuild.pk]))


@admin.register(LeadScore)
class LeadScoreAdmin(ReadOnlyAdmin):
    """Each lead's stored score; pinned on the lead page."""

    list_display = [
        "lead",
        "score",
        "model_score",
        "pinned_score",
        "scope",
        "scored_at",
    ]
    list_select_related = ["lead"]
    raw_id_fields = ["lead", "pinned_by"]
    search_fields = ["lead__last_name", "lead__company_name"]
    show_full_result_count = False

    def get_queryset(self, request):
        return _scoped_by_lead(request, super().get_queryset(request))


@admin.register(ScoreCount)
class ScoreCountAdmin(ReadOnlyAdmin):
    """The frequency tables the model learns from (scope 0: the organisation,
    else a business unit's id)."""

    list_display = ["scope", "field", "value", "qualified", "disqualified"]
    list_filter = ["scope", "field"]
    search_fields = ["value"]
    ordering = ["scope", "field", "value"]
