"""The privacy pages, under /privacy/ (leadsite/urls.py): privacy officers and
administrators only."""

from django.urls import path

from privacy.views import erasure, holds, people

app_name = "privacy"

urlpatterns = [
    path("", people.privacy_index, name="index"),
    path("leads/<int:pk>/", people.lead_privacy, name="lead"),
    path("contacts/<int:pk>/", people.contact_privacy, name="contact"),
    path("export/", people.access_export, name="export"),
    path("exports/", people.access_request_list, name="access-requests"),
    path("erase/", erasure.erase, name="erase"),
    path("erasures/", erasure.erasure_list, name="erasures"),
    path("erasures/<int:pk>/", erasure.erasure_detail, name="erasure"),
    path("erasures/<int:pk>/files/", erasure.erasure_files, name="erasure-files"),
    path("holds/new/", holds.hold_create, name="hold-create"),
    path("holds/<int:pk>/release/", holds.hold_release, name="hold-release"),
]
