"""The consent panel of a lead or contact page (templates/leads/consent/)."""

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse

from leads.models import Lead
from leads.selectors.consent import consent_panel as read_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def consent_panel(context, record):
    """Renders leads/consent/panel.html for `record` (a lead or contact, already
    found through the record-scope gate) inside the page's own context: each
    purpose's state, and the disclosures that load the form to record consent and
    the consent history when they open."""
    record_type = "lead" if isinstance(record, Lead) else "contact"
    args = [record_type, record.pk]
    panel = {
        "panel": read_panel(person=record),
        "record_url": reverse("leads:consent-record", args=args),
        "history_url": reverse("leads:consent-history", args=args),
        "days": settings.LEADSITE_CONSENT_CONFIRMATION_DAYS,
        "unconfirmed_url": (
            reverse("leads:list") + "?view=all&consent=unconfirmed"
            if record_type == "lead"
            else ""
        ),
    }
    with context.push(panel):
        return get_template("leads/consent/panel.html").template.render(context)
