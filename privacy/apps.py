from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy")

    def ready(self):
        # Imported here, not at the top: the models load only after every app
        # config exists.
        from leads.selectors.leads import register_presence
        from privacy.models import LegalHold

        # The lead page reads the holds only for a lead that has any (its lead
        # query carries the flag: privacy.templatetags.privacy_records).
        register_presence("has_legal_holds", LegalHold, "lead")
