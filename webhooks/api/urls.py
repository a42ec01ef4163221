"""The webhooks resource's URLs, included under /api/ in the "api" namespace
(leadsite/urls.py): api:webhook-list, api:webhook-detail, api:webhook-deliveries,
api:webhook-replay, api:webhook-rotate-secret."""

from rest_framework.routers import SimpleRouter

from webhooks.api.views import SubscriptionViewSet

router = SimpleRouter(trailing_slash=False)
router.register("webhooks", SubscriptionViewSet, basename="webhook")

urlpatterns = router.urls
