from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Scheduled jobs")

    def ready(self):
        # Registers the settings check; imported here as checks register on import.
        from scheduling import checks  # noqa: F401
