"""The leads resource's URLs, included under /api/ in the "api" namespace
(leadsite/urls.py): api:lead-list, api:lead-detail, api:lead-disqualify,
api:lead-reactivate, api:lead-qualify."""

from rest_framework.routers import SimpleRouter

from leads.api.views import LeadViewSet

router = SimpleRouter(trailing_slash=False)
router.register("leads", LeadViewSet, basename="lead")

urlpatterns = router.urls
