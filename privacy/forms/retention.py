"""Forms of the retention page (the policy) and of the export log (its filter)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import DateInput
from privacy.models import RetentionPolicy
from privacy.selectors import retention as reading

POLICY_FIELDS = [
    "disqualified_leads_days",
    "disqualified_leads_action",
    "closed_activities_days",
    "email_bodies_days",
    "import_files_days",
    "webhook_logs_days",
]


class RetentionPolicyForm(forms.ModelForm):
    """The periods in days (empty: kept forever) and what becomes of a disqualified
    lead; its cleaned_data feeds update_retention_policy."""

    class Meta:
        model = RetentionPolicy
        fields = POLICY_FIELDS
        widgets = {
            name: forms.NumberInput(attrs={"min": 1, "step": 1, "inputmode": "numeric"})
            for name in POLICY_FIELDS
            if name.endswith("_days")
        } | {"disqualified_leads_action": forms.RadioSelect}


class ExportLogFilterForm(forms.Form):
    """The export log's filter: one user, a range of days."""

    user = forms.ModelChoiceField(
        label=_("User"),
        queryset=reading.export_log_users(),
        required=False,
        empty_label=_("Everyone"),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end comes before the start."))
        return cleaned
