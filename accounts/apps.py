from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisation")

    def ready(self):
        # The API's Idempotency-Key keeps its rows in this app's table.
        from accounts.services.idempotency import IdempotencyStore
        from leadsite.core.idempotency import register_idempotency_store
        from leadsite.core.locale import remember_translations

        register_idempotency_store(IdempotencyStore)
        # Each message's translation looked up once per language and process.
        remember_translations()
