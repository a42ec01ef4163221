from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")

    def ready(self):
        from leads.roles import sync_roles_after_migrate

        # Keeps the role groups' permissions complete as models are added.
        post_migrate.connect(sync_roles_after_migrate, sender=self)
