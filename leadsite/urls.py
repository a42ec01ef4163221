from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import include, path
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.views.profile import set_language
from leads.api.inbound import InboundCaptureView
from leads.api.mail import mailgun_inbound
from leads.views import capture as capture_views
from leadsite.core import locale
from leadsite.core.api import ApiLoginMixin
from leadsite.views import healthz


class SchemaView(ApiLoginMixin, SpectacularAPIView):
    pass


class DocsView(SpectacularSwaggerSplitView):
    """The interactive docs: a page for people, so signing in is the site's (an
    anonymous visitor goes to the login page); the schema it reads is the API's."""

    # Without the inline <style> of drf-spectacular's page (the CSP allows none).
    template_name = "api/swagger_ui.html"


# The REST API (docs/api.md): every URL name in the "api" namespace.
api_patterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    # DRF marks its views login-not-required; the docs page asks for the login.
    path("docs/", login_required(DocsView.as_view(url_name="api:schema")), name="docs"),
    path("", include("leads.api.urls")),
    # Public: web-to-lead over JSON (the capture form's token, no login).
    path(
        "capture/<str:token>",
        InboundCaptureView.as_view(),
        name="capture",
    ),
    path("", include("accounts.api.urls")),
    path("", include("webhooks.api.urls")),
]

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    # The language switcher (a signed-in user's choice is saved as theirs) and the
    # JavaScript catalog of static/js/ (djangojs), cached per language until the
    # compiled catalogs change.
    path("i18n/setlang/", set_language, name="set_language"),
    path(
        "jsi18n/",
        login_not_required(
            cache_page(86400, key_prefix=f"jsi18n-{locale.catalog_version()}")(
                JavaScriptCatalog.as_view()
            )
        ),
        name="javascript-catalog",
    ),
    path("admin/", admin.site.urls),
    path("api/", include((api_patterns, "api"))),
    path("", include("accounts.urls")),
    path("", include("leads.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("notifications/", include("notifications.urls")),
    # Retention (the policy, its runs) and the export log: administrators.
    path("privacy/retention/", include("privacy.urls_retention")),
    # Access exports, erasure and legal holds: privacy officers and administrators.
    path("privacy/", include("privacy.urls")),
    # Public capture forms (no login).
    path("capture/<str:token>/", capture_views.capture, name="capture"),
    path(
        "capture/<str:token>/thanks/",
        capture_views.capture_thanks,
        name="capture-thanks",
    ),
    # Inbound mail by a provider's signed webhook (no login; README "Email —
    # receiving"). Unnamed: the provider is given the address, the site never
    # links to it.
    path("inbound/email/mailgun/", mailgun_inbound),
]

handler404 = "leadsite.views.page_not_found"
handler500 = "leadsite.views.server_error"
