"""The lead board's move: where a card goes, the version it was drawn at, and the
reason when it is disqualified."""

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.models import DISQUALIFY_REASONS
from leads.services.board import CONTACTED, DISQUALIFIED

QUALIFY = "qualify"
# The move menu's choices; Qualify opens the qualify page.
MOVE_CHOICES = [
    (CONTACTED, _("Contacted")),
    (QUALIFY, _("Qualify…")),
    (DISQUALIFIED, _("Disqualify…")),
]


class BoardMoveForm(forms.Form):
    to = forms.ChoiceField(choices=MOVE_CHOICES, label=_("Move to"))
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    reason = forms.TypedChoiceField(
        choices=[("", "—"), *((int(s), s.label) for s in DISQUALIFY_REASONS)],
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Reason"),
    )
    description = forms.CharField(required=False, max_length=1000, label=_("Details"))
