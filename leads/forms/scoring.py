"""The lead page's pin and unpin forms; leads/services/scoring.py does the pinning.
Both carry the lead's version as loaded, so a pin over someone else's change of
the lead is refused (EditConflict) rather than applied to a lead that moved."""

from django import forms
from django.utils.translation import gettext_lazy as _

from leadsite.core.versioning import VersionField


class _Versioned(forms.Form):
    version = VersionField()

    def __init__(self, *args, lead=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A post without the version stands for "unknown": refused as a conflict.
        self.fields["version"].editing = True
        if lead is not None:
            self.initial.setdefault("version", lead.version)


class PinScoreForm(_Versioned):
    # Named as the score row's fields: the service's errors land beside them.
    pinned_score = forms.IntegerField(
        label=_("Score"), min_value=0, max_value=100, help_text=_("0 to 100.")
    )
    pin_reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Why the model's score is not right for this lead."),
    )


class UnpinScoreForm(_Versioned):
    pass
