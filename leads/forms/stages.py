"""The stage bar's small forms: move an opportunity to a stage, tick a step."""

from django import forms

from accounts.models import SalesStage


class StageMoveForm(forms.Form):
    stage = forms.TypedChoiceField(choices=SalesStage.choices, coerce=int)
    version = forms.IntegerField(min_value=0)


class StepCheckForm(forms.Form):
    checked = forms.TypedChoiceField(
        choices=[("1", "Done"), ("0", "Not done")], coerce=lambda v: v == "1"
    )
