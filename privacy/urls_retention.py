"""The retention page and the export log, under /privacy/retention/ (leadsite/urls.py)."""

from django.urls import path

from privacy.views import retention as views

app_name = "retention"

urlpatterns = [
    path("", views.retention_settings, name="settings"),
    path("dry-run/", views.retention_dry_run, name="dry-run"),
    path("run/", views.retention_run, name="run"),
    path("exports/", views.export_log, name="export-log"),
]
