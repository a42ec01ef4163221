from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from leadsite.core.events import register_sink
from leadsite.core.transactions import forget_in_transaction


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        # Imported here, not at the top: the sink's module imports models, which
        # the app registry loads only after every app config exists.
        from webhooks.tasks import announce

        register_sink("webhooks", announce)
        post_save.connect(_forget_subscriptions, sender="webhooks.Subscription")
        post_delete.connect(_forget_subscriptions, sender="webhooks.Subscription")


def _forget_subscriptions(**kwargs):
    # The outbox reads "any subscription?" once per transaction (outbox.any_subscription).
    from webhooks.services.outbox import SUBSCRIPTIONS_KEY

    forget_in_transaction(SUBSCRIPTIONS_KEY)
