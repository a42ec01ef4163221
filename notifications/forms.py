"""The preferences form: how the user hears of each kind (a choice per kind)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import Channel, Kind

HELP = {
    Kind.RESPONSE_DEADLINE: _(
        "Owners are warned before a lead they have not contacted "
        "is re-routed; managers are told when a lead of their unit is."
    ),
    Kind.WEBHOOK_PAUSED: _(
        "A subscription paused after a day of failures is also "
        "emailed to its owner at once, whatever is chosen here."
    ),
}


class PreferencesForm(forms.Form):
    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Kind.choices)
        for kind in kinds:
            self.fields[kind] = forms.ChoiceField(
                label=labels[kind],
                choices=Channel.choices,
                help_text=HELP.get(kind, ""),
            )
