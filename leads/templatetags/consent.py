"""The consent panel of a lead or contact page (templates/leads/consent/)."""

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse

from leads.forms.consent import RecordConsentForm
from leads.models import Lead
from leads.selectors.consent import consent_panel as read_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def consent_panel(context, record):
    """Renders leads/consent/panel.html for `record` (a lead or contact, already
    found through the record-scope gate) inside the page's own context: each
    purpose's state, the history, and the form to record consent."""
    record_type = "lead" if isinstance(record, Lead) else "contact"
    panel = read_panel(person=record)
    form = RecordConsentForm()
    # The picker shows the active purposes the panel read (the same list): the
    # widget renders the options, a POST still validates against the queryset.
    field = form.fields["purpose"]
    field.widget.choices = [
        ("", field.empty_label),
        *((purpose.pk, field.label_from_instance(purpose)) for purpose in panel.active),
    ]
    panel = {
        "panel": panel,
        "form": form,
        "action": reverse("leads:consent-record", args=[record_type, record.pk]),
        "days": settings.LEADSITE_CONSENT_CONFIRMATION_DAYS,
        "unconfirmed_url": (
            reverse("leads:list") + "?view=all&consent=unconfirmed"
            if record_type == "lead"
            else ""
        ),
    }
    with context.push(panel):
        return get_template("leads/consent/panel.html").template.render(context)
