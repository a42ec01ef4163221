from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organisation"

    def ready(self):
        # The API's Idempotency-Key keeps its rows in this app's table.
        from accounts.services.idempotency import IdempotencyStore
        from leadsite.core.idempotency import register_idempotency_store

        register_idempotency_store(IdempotencyStore)
