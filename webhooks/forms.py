"""The subscription form: URL, events (checkboxes), description, active."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from leadsite.core.events import EVENT_TYPES
from leadsite.core.forms import formfield_callback
from leadsite.core.versioning import VersionField
from webhooks.models import Subscription

# What each event means, beside its checkbox.
EVENT_MEANINGS = {
    "lead.created": _("a lead was created (form, API, capture, import)"),
    "lead.updated": _("an open lead's fields changed"),
    "lead.routed": _("a lead was given an owner (routing or assignment)"),
    "lead.qualified": _("a lead was qualified"),
    "lead.disqualified": _("a lead was disqualified"),
    "lead.reactivated": _("a closed lead was opened again"),
    "lead.merged": _("a lead was merged into another (its master)"),
    "opportunity.won": _("an opportunity was won"),
    "opportunity.lost": _("an opportunity was lost"),
    "import.finished": _("an import of leads finished"),
}
# "lead.created: a lead was created (...)": the event's name, then its meaning.
EVENT_LABELS = {
    name: format_lazy("{}: {}", name, meaning)
    for name, meaning in EVENT_MEANINGS.items()
}
FIELDS = ["url", "description", "events", "is_active"]


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=[(name, EVENT_LABELS[name]) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        label=_("Events"),
        help_text=_("Each event is sent only for records you may see."),
    )
    version = VersionField()

    class Meta:
        model = Subscription
        fields = FIELDS
        formfield_callback = formfield_callback
        widgets = {"url": forms.URLInput(attrs={"placeholder": "https://"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("version", self.instance.version)
            self.fields["version"].editing = True
