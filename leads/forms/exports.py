"""Forms for exports: starting a background export of the lead list."""

from django import forms

from leads.models import ExportFormat


class ExportStartForm(forms.Form):
    """The lead list's query string and the file format, both carried in hidden
    fields from the page that offers the background export."""

    query = forms.CharField(
        required=False, max_length=4000, strip=False, widget=forms.HiddenInput
    )
    file_format = forms.ChoiceField(
        choices=ExportFormat.choices,
        initial=ExportFormat.XLSX,
        widget=forms.HiddenInput,
    )
