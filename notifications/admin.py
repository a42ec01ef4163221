"""Admin for notifications: read only (the services write them); a user's
preferences are changed on their own settings page."""

from django.contrib import admin

from leads.admin.common import ReadOnlyAdmin
from notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["text", "user", "kind", "actor", "created_at", "read_at"]
    list_select_related = ["user", "actor"]
    list_filter = ["kind", "email_state"]
    search_fields = ["text", "user__username"]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "channel"]
    list_select_related = ["user"]
    list_filter = ["kind", "channel"]
    search_fields = ["user__username"]
