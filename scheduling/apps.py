from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduled jobs"

    def ready(self):
        # Registers the settings check; imported here as checks register on import.
        from scheduling import checks  # noqa: F401
