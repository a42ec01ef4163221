"""Forms of the privacy pages: the search by email address, the records an
export or an erasure is for, the erasure's confirmation and a legal hold."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Contact
from leads.models import Lead


class SearchForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=320,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "inputmode": "email"}),
    )


class RecordsForm(forms.Form):
    """The leads and contacts an export or an erasure is for (ids; every record,
    the privacy pages are not scoped by owner)."""

    lead = forms.ModelMultipleChoiceField(
        queryset=Lead.objects.all(), required=False, widget=forms.MultipleHiddenInput
    )
    contact = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.all(),
        required=False,
        widget=forms.MultipleHiddenInput,
    )
    query = forms.CharField(max_length=320, required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("lead") and not cleaned.get("contact"):
            raise ValidationError(_("Choose at least one lead or contact."))
        return cleaned

    @property
    def lead_ids(self) -> list[int]:
        return sorted(lead.pk for lead in self.cleaned_data.get("lead") or [])

    @property
    def contact_ids(self) -> list[int]:
        return sorted(c.pk for c in self.cleaned_data.get("contact") or [])


class EraseForm(RecordsForm):
    reference = forms.CharField(
        label=_("Your reference"),
        max_length=100,
        required=False,
        help_text=_(
            "A ticket or case number for the log; never the person's name or "
            "address (the log keeps no erased value)."
        ),
    )
    company_is_person = forms.BooleanField(
        label=_("The company is the person's (a sole trader): erase its name too"),
        required=False,
    )


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Why the record must be kept (a matter, a claim, an authority's request)."
        ),
    )
