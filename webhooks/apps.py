from django.apps import AppConfig

from leadsite.core.events import register_sink


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        # Imported here, not at the top: the sink's module imports models, which
        # the app registry loads only after every app config exists.
        from webhooks.tasks import announce

        register_sink("webhooks", announce)
