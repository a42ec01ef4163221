"""The subscription form: URL, events (checkboxes), description, active."""

from django import forms

from leadsite.core.events import EVENT_TYPES
from leadsite.core.forms import formfield_callback
from leadsite.core.versioning import VersionField
from webhooks.models import Subscription

# What each event means, beside its checkbox.
EVENT_LABELS = {
    "lead.created": "lead.created: a lead was created (form, API, capture, import)",
    "lead.updated": "lead.updated: an open lead's fields changed",
    "lead.routed": "lead.routed: a lead was given an owner (routing or assignment)",
    "lead.qualified": "lead.qualified: a lead was qualified",
    "lead.disqualified": "lead.disqualified: a lead was disqualified",
    "lead.reactivated": "lead.reactivated: a closed lead was opened again",
    "lead.merged": "lead.merged: a lead was merged into another (its master)",
    "opportunity.won": "opportunity.won: an opportunity was won",
    "opportunity.lost": "opportunity.lost: an opportunity was lost",
    "import.finished": "import.finished: an import of leads finished",
}
FIELDS = ["url", "description", "events", "is_active"]


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=[(name, EVENT_LABELS[name]) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        help_text="Each event is sent only for records you may see.",
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
