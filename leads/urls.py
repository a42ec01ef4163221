from django.urls import path

from leads.views import leads, lifecycle, links, merge, qualification, routing, timeline
from leads.views import reports as report_views

app_name = "leads"

# --- lead lifecycle -----------------------------------------------------------------
urlpatterns = [
    path("", leads.HomeView.as_view(), name="home"),
    path("leads/", leads.LeadListView.as_view(), name="list"),
    path("leads/filters/", leads.lead_list_filters, name="list-filters"),
    path("leads/assignees/", leads.bulk_assignees, name="bulk-assignees"),
    path(
        "leads/views/new/", leads.LeadSavedViewCreateView.as_view(), name="view-create"
    ),
    path("leads/<int:pk>/", leads.LeadDetailView.as_view(), name="detail"),
    path("leads/new/", lifecycle.lead_create, name="create"),
    path(
        "leads/new/routing/",
        lifecycle.lead_routing_preview,
        name="create-routing-preview",
    ),
    path("leads/bulk/", leads.lead_bulk, name="bulk"),
    path("leads/<int:pk>/edit/", lifecycle.lead_edit, name="edit"),
    path("leads/<int:pk>/assign/", leads.lead_assign, name="assign"),
    path("leads/<int:pk>/qualify/", qualification.lead_qualify, name="qualify"),
    path("leads/<int:pk>/qualified/", qualification.lead_qualified, name="qualified"),
    path("leads/<int:pk>/disqualify/", lifecycle.lead_disqualify, name="disqualify"),
    path("leads/<int:pk>/reactivate/", lifecycle.lead_reactivate, name="reactivate"),
    path(
        "leads/<int:pk>/mark-contacted/",
        lifecycle.lead_mark_contacted,
        name="mark-contacted",
    ),
]

# --- links, timeline, merge ---------------------------------------------------------
urlpatterns += [
    path("leads/merge/", merge.merge_leads, name="merge"),
    path("leads/<int:pk>/accounts/link/", links.link_account, name="link-account"),
    path(
        "leads/<int:pk>/accounts/<int:account_pk>/unlink/",
        links.unlink_account,
        name="unlink-account",
    ),
    path("leads/<int:pk>/contacts/link/", links.link_contact, name="link-contact"),
    path(
        "leads/<int:pk>/contacts/<int:contact_pk>/unlink/",
        links.unlink_contact,
        name="unlink-contact",
    ),
    path("leads/<int:pk>/interests/add/", links.add_interest, name="add-interest"),
    path(
        "leads/<int:pk>/interests/<int:interest_pk>/remove/",
        links.remove_interest,
        name="remove-interest",
    ),
    # Timeline items on any record: record_type is lead, account, contact or opportunity.
    path(
        "timeline/<str:record_type>/<int:pk>/notes/add/",
        timeline.add_note,
        name="add-note",
    ),
    path(
        "timeline/<str:record_type>/<int:pk>/activities/add/",
        timeline.add_activity,
        name="add-activity",
    ),
    path(
        "timeline/<str:record_type>/<int:pk>/attachments/add/",
        timeline.add_attachment,
        name="add-attachment",
    ),
    path(
        "activities/<int:pk>/complete/",
        timeline.complete_activity,
        name="complete-activity",
    ),
    path(
        "activities/<int:pk>/cancel/", timeline.cancel_activity, name="cancel-activity"
    ),
    path(
        "attachments/<int:pk>/download/",
        timeline.download_attachment,
        name="download-attachment",
    ),
]

# --- routing and reports -------------------------------------------------------------
urlpatterns += [
    path("routing/", routing.RoutingView.as_view(), name="routing"),
    path("routing/queue/", routing.unassigned_queue, name="routing-queue"),
    path("routing/log/", routing.assignment_log, name="routing-log"),
    path("routing/rules/new/", routing.rule_create, name="routing-rule-create"),
    path("routing/rules/<int:pk>/edit/", routing.rule_edit, name="routing-rule-edit"),
    path(
        "routing/rules/<int:pk>/toggle/",
        routing.rule_toggle,
        name="routing-rule-toggle",
    ),
    path("routing/rules/<int:pk>/move/", routing.rule_move, name="routing-rule-move"),
    path("leads/<int:pk>/route/", routing.lead_route_again, name="route-again"),
    path(
        "leads/<int:pk>/routing/",
        routing.lead_routing_history,
        name="routing-history",
    ),
    path(
        "reports/sources/",
        report_views.SourceReportView.as_view(),
        name="source-report",
    ),
]

# --- the scoring backtest, beside the source report ----------------------------------
from leads.views import scoring_report as scoring_report_views  # noqa: E402

urlpatterns += [
    path(
        "reports/scoring/",
        scoring_report_views.ScoringReportView.as_view(),
        name="scoring-report",
    ),
]

# --- a lead's score: pinned by hand, unpinned -----------------------------------------
from leads.views import scoring as scoring_views  # noqa: E402

urlpatterns += [
    path("leads/<int:pk>/score/pin/", scoring_views.pin_lead_score, name="score-pin"),
    path(
        "leads/<int:pk>/score/unpin/",
        scoring_views.unpin_lead_score,
        name="score-unpin",
    ),
]

# --- global search in the top bar ---------------------------------------------------
from leads.views import search as search_views  # noqa: E402

urlpatterns += [path("search/", search_views.search, name="search")]

# --- getting leads in and out: export, import ---------------------------------------
from leads.views import exports as export_views  # noqa: E402

urlpatterns += [
    path("leads/export/", export_views.export_leads, name="export"),
    # Background exports: not under leads/export/, whose GETs read from
    # the replica (settings.LEADSITE_REPLICA_PATHS): a job's page reads the primary.
    path("leads/exports/", export_views.export_jobs, name="export-jobs"),
    path("leads/exports/<int:pk>/", export_views.export_job, name="export-job"),
    path(
        "leads/exports/<int:pk>/progress/",
        export_views.export_job_progress,
        name="export-job-progress",
    ),
    path(
        "leads/exports/<int:pk>/download/",
        export_views.export_job_download,
        name="export-job-download",
    ),
]

from leads.views import imports as import_views  # noqa: E402

urlpatterns += [
    path("leads/import/", import_views.import_upload, name="import"),
    path("leads/import/<int:pk>/", import_views.import_detail, name="import-detail"),
    path(
        "leads/import/<int:pk>/progress/",
        import_views.import_progress,
        name="import-progress",
    ),
    path(
        "leads/import/<int:pk>/report.csv",
        import_views.import_report,
        name="import-report",
    ),
    path("leads/import/<int:pk>/undo/", import_views.import_undo, name="import-undo"),
    path(
        "leads/import/<int:pk>/resume/",
        import_views.import_resume,
        name="import-resume",
    ),
]

from leads.views import capture as capture_views  # noqa: E402

urlpatterns += [
    path("capture-forms/", capture_views.capture_form_list, name="capture-forms"),
    path(
        "capture-forms/new/",
        capture_views.capture_form_edit,
        name="capture-form-create",
    ),
    path(
        "capture-forms/<int:pk>/",
        capture_views.capture_form_edit,
        name="capture-form-edit",
    ),
]

# --- the lead board: open leads in columns by status reason ---------------------------
from leads.views import board as board_views  # noqa: E402

urlpatterns += [
    path("leads/board/", board_views.lead_board, name="board"),
    path(
        "leads/board/columns/<int:status>/",
        board_views.board_column,
        name="board-column",
    ),
    path("leads/<int:pk>/move/", board_views.board_move, name="board-move"),
]

# --- email from the record (compose on any record type, try again, signature) -------
from leads.views import emails as email_views  # noqa: E402

urlpatterns += [
    path(
        "timeline/<str:record_type>/<int:pk>/emails/compose/",
        email_views.compose_email,
        name="compose-email",
    ),
    path("emails/<int:pk>/retry/", email_views.retry_email, name="retry-email"),
    path("emails/signature/", email_views.email_signature, name="email-signature"),
]

# --- duplicate rules and scans ---------------------------------------------------------
from leads.views import duplicates as duplicate_views  # noqa: E402

urlpatterns += [
    path("duplicates/", duplicate_views.duplicate_rules, name="duplicate-rules"),
    path(
        "duplicates/rules/new/",
        duplicate_views.duplicate_rule_create,
        name="duplicate-rule-create",
    ),
    path(
        "duplicates/rules/<int:pk>/edit/",
        duplicate_views.duplicate_rule_edit,
        name="duplicate-rule-edit",
    ),
    path(
        "duplicates/rules/<int:pk>/delete/",
        duplicate_views.duplicate_rule_delete,
        name="duplicate-rule-delete",
    ),
    path(
        "duplicates/scans/start/",
        duplicate_views.duplicate_scan_start,
        name="duplicate-scan-start",
    ),
    path(
        "duplicates/scans/<int:pk>/",
        duplicate_views.duplicate_scan,
        name="duplicate-scan",
    ),
]

from leads.views import stages as stage_views  # noqa: E402

urlpatterns += [
    # The stage bar on an opportunity page: move between stages, tick a step.
    path(
        "opportunities/<int:pk>/stage/",
        stage_views.move_stage,
        name="opportunity-stage",
    ),
    path(
        "opportunities/<int:pk>/steps/<int:step_id>/",
        stage_views.check_step,
        name="opportunity-step",
    ),
]

# --- mass update of leads -----------------------------------------------------------
from leads.views import mass_update as mass_update_views  # noqa: E402

urlpatterns += [
    path("leads/mass-update/", mass_update_views.mass_update, name="mass-update"),
    path(
        "leads/mass-updates/",
        mass_update_views.mass_update_list,
        name="mass-update-list",
    ),
    path(
        "leads/mass-updates/<int:pk>/",
        mass_update_views.mass_update_detail,
        name="mass-update-detail",
    ),
    path(
        "leads/mass-updates/<int:pk>/progress/",
        mass_update_views.mass_update_progress,
        name="mass-update-progress",
    ),
    path(
        "leads/mass-updates/<int:pk>/undo/",
        mass_update_views.mass_update_undo,
        name="mass-update-undo",
    ),
]

# --- consent: recorded on a lead or contact page; the public double opt-in link -------
from leads.views import consent as consent_views  # noqa: E402

urlpatterns += [
    path(
        "consent/<str:record_type>/<int:pk>/record/",
        consent_views.record_consent,
        name="consent-record",
    ),
    path(
        "consent/<str:record_type>/<int:pk>/history/",
        consent_views.consent_history,
        name="consent-history",
    ),
    path(
        "consent/confirm/<str:token>/",
        consent_views.confirm_consent,
        name="consent-confirm",
    ),
]
