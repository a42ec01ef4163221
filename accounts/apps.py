from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organisation"

    def ready(self):
        from leadsite.core import dates

        dates.install()
