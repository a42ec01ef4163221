"""The stage bar's small forms: move an opportunity to a stage, tick a step."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import SalesStage


class StageMoveForm(forms.Form):
    stage = forms.TypedChoiceField(
        label=_("Stage"), choices=SalesStage.choices, coerce=int
    )
    version = forms.IntegerField(min_value=0)


class StepCheckForm(forms.Form):
    checked = forms.TypedChoiceField(
        label=_("Checked"),
        choices=[("1", _("Done")), ("0", _("Not done"))],
        coerce=lambda v: v == "1",
    )
