from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from leads.views import capture as capture_views
from leadsite.views import healthz

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("leads.urls")),
    # Public capture forms (no login).
    path("capture/<str:token>/", capture_views.capture, name="capture"),
    path(
        "capture/<str:token>/thanks/",
        capture_views.capture_thanks,
        name="capture-thanks",
    ),
]

handler404 = "django.views.defaults.page_not_found"
handler500 = "django.views.defaults.server_error"
