from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from leadsite.core.events import register_sink

# The events the notifications sink hears (notifications.tasks.on_event).
HEARD = (
    "lead.routed",
    "import.finished",
    "import.refused",
    "webhook.paused",
    "email.received",
    "mass_update.finished",
    "mass_update.undone",
)


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # Imported here, not at the top: the sink's module imports models, which
        # the app registry loads only after every app config exists.
        from accounts.sql import register_access_part
        from notifications.selectors import unread_part
        from notifications.tasks import on_event

        register_sink("notifications", on_event, events=HEARD)
        # The bell's count is read with the user's groups, once per page.
        register_access_part("unread", unread_part)
