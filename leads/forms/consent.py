"""Forms for consent: what a user records on a record page, and the consent a
capture form asks for in the manager's capture-form editor. Input validation only;
leads/services/consent.py does the writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.models import USER_METHODS, ConsentMethod, ConsentStatus
from leads.selectors.consent import list_active_purposes


class RecordConsentForm(forms.Form):
    purpose = forms.ModelChoiceField(
        label=_("Purpose"), queryset=None, empty_label=_("— Choose —")
    )
    status = forms.ChoiceField(
        label=_("Consent"),
        choices=[
            (ConsentStatus.GIVEN, _("Given")),
            (ConsentStatus.WITHDRAWN, _("Withdrawn")),
        ],
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(
        label=_("How"),
        choices=[(m.value, m.label) for m in ConsentMethod if m in USER_METHODS],
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("Optional: what the person said, or where it is written."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].queryset = list_active_purposes()


class CaptureConsentFieldsMixin:
    """The capture-form editor's consent choices: per active purpose, whether the
    form asks for it, with its wording and version (fields ask_<id>, wording_<id>,
    version_<id>). Call add_consent_fields(instance) from __init__."""

    def add_consent_fields(self, capture_form):
        asked = {}
        if capture_form is not None and capture_form.pk is not None:
            asked = {
                item.purpose_id: item for item in capture_form.consent_purposes.all()
            }
        self.consent_purposes = list(list_active_purposes())
        for purpose in self.consent_purposes:
            item = asked.get(purpose.pk)
            self.fields[f"ask_{purpose.pk}"] = forms.BooleanField(
                label=_("Ask for consent to “%(purpose)s”") % {"purpose": purpose},
                required=False,
                initial=item is not None,
            )
            self.fields[f"wording_{purpose.pk}"] = forms.CharField(
                label=_("Wording beside the “%(purpose)s” checkbox")
                % {"purpose": purpose},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=item.wording if item else "",
            )
            self.fields[f"version_{purpose.pk}"] = forms.CharField(
                label=_("Version of this wording"),
                required=False,
                max_length=30,
                initial=item.version if item else "",
                help_text=_("Change it whenever you change the wording."),
            )

    def clean_consent_fields(self, cleaned):
        for purpose in self.consent_purposes:
            if not cleaned.get(f"ask_{purpose.pk}"):
                continue
            for name in ("wording", "version"):
                if not (cleaned.get(f"{name}_{purpose.pk}") or "").strip():
                    self.add_error(
                        f"{name}_{purpose.pk}",
                        _("Needed when the form asks for this consent."),
                    )

    def consent_names(self) -> set[str]:
        return {
            f"{prefix}_{purpose.pk}"
            for purpose in self.consent_purposes
            for prefix in ("ask", "wording", "version")
        }

    def consent_choices(self) -> list[dict]:
        return [
            {
                "purpose": purpose,
                "ask": self.cleaned_data.get(f"ask_{purpose.pk}", False),
                "wording": (
                    self.cleaned_data.get(f"wording_{purpose.pk}") or ""
                ).strip(),
                "version": (
                    self.cleaned_data.get(f"version_{purpose.pk}") or ""
                ).strip(),
            }
            for purpose in self.consent_purposes
        ]
