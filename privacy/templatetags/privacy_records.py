"""The privacy box on a lead's and a contact's page: an active legal hold for
everyone who sees the record, and the way to its privacy page for privacy officers
and administrators."""

from django import template
from django.urls import reverse

from accounts.permissions import is_privacy_officer
from privacy.selectors.holds import active_holds

register = template.Library()


@register.inclusion_tag("privacy/partials/record_box.html", takes_context=True)
def record_privacy(context, record):
    user = context.get("user")
    officer = user is not None and is_privacy_officer(user)
    kind = record._meta.model_name
    ids = {"lead_ids" if kind == "lead" else "contact_ids": [record.pk]}
    return {
        "record": record,
        "officer": officer,
        # None to read when the record was read with a has_legal_holds flag that
        # says it has none (the lead page: leads.selectors.leads.register_presence).
        "holds": list(active_holds(**ids).select_related(None))
        if getattr(record, "has_legal_holds", True)
        else [],
        "privacy_url": reverse(f"privacy:{kind}", args=[record.pk]) if officer else "",
    }
