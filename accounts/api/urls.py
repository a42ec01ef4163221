"""The accounts app's resources, included under /api/ in the "api" namespace
(leadsite/urls.py): api:account-*, api:contact-*, api:opportunity-* (with -win,
-lose, -reopen), api:opportunity-product-* (an opportunity's lines), and the
read-only api:product-*, api:user-*, api:team-*, api:business-unit-*."""

from rest_framework.routers import SimpleRouter

from accounts.api.customers import AccountViewSet, ContactViewSet
from accounts.api.opportunities import OpportunityProductViewSet, OpportunityViewSet
from accounts.api.organisation import (
    BusinessUnitViewSet,
    ProductViewSet,
    TeamViewSet,
    UserViewSet,
)

router = SimpleRouter(trailing_slash=False)
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("opportunities", OpportunityViewSet, basename="opportunity")
router.register(
    r"opportunities/(?P<opportunity_id>[0-9]+)/products",
    OpportunityProductViewSet,
    basename="opportunity-product",
)
router.register("products", ProductViewSet, basename="product")
router.register("users", UserViewSet, basename="user")
router.register("teams", TeamViewSet, basename="team")
router.register("business-units", BusinessUnitViewSet, basename="business-unit")

urlpatterns = router.urls
