"""The leads resource's URLs, included under /api/ in the "api" namespace
(leadsite/urls.py): api:lead-list, api:lead-detail, api:lead-disqualify,
api:lead-reactivate, api:lead-qualify, api:lead-score-pin."""

from rest_framework.routers import SimpleRouter

from leads.api import capture, imports, links, reports, routing, timeline
from leads.api.views import LeadViewSet

router = SimpleRouter(trailing_slash=False)
router.register("leads", LeadViewSet, basename="lead")
# What hangs from a lead, and the leads app's other resources (docs/api.md).
LEAD = r"leads/(?P<lead_pk>[0-9]+)"
router.register(
    f"{LEAD}/activities", timeline.LeadActivityViewSet, basename="lead-activity"
)
router.register(f"{LEAD}/notes", timeline.LeadNoteViewSet, basename="lead-note")
router.register(
    f"{LEAD}/attachments", timeline.LeadAttachmentViewSet, basename="lead-attachment"
)
router.register(
    f"{LEAD}/interests", links.LeadInterestViewSet, basename="lead-interest"
)
router.register("activities", timeline.ActivityViewSet, basename="activity")
router.register("notes", timeline.NoteViewSet, basename="note")
router.register("attachments", timeline.AttachmentViewSet, basename="attachment")
router.register("campaigns", capture.CampaignViewSet, basename="campaign")
router.register("capture-forms", capture.CaptureFormViewSet, basename="capture-form")
router.register("routing-rules", routing.RoutingRuleViewSet, basename="routing-rule")
router.register("assignments", routing.AssignmentViewSet, basename="assignment")
router.register("imports", imports.ImportBatchViewSet, basename="import")
router.register(
    "reports/sources", reports.SourceReportViewSet, basename="source-report"
)

urlpatterns = router.urls
