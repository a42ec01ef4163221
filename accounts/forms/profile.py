"""The user's own settings: language and time zone (accounts:settings)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from leadsite.core import locale


class UserSettingsForm(forms.Form):
    """The user's language and time zone (accounts:settings)."""

    language = forms.ChoiceField(
        label=_("Language"), choices=locale.language_choices, required=False
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=locale.time_zone_choices, required=False
    )
