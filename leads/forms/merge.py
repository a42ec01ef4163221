"""The merge page's form: which lead stays and which value each field keeps.
leads/services/merge.py does the merge."""

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.models import Lead


def _lead_choices_label(lead: Lead) -> str:
    return f"#{lead.pk} {lead}"


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _non_empty_side(lead_a: Lead, lead_b: Lead, name: str) -> str:
    """The master's side ("a"), unless its value is empty and B's is not: a merge
    keeps what is known rather than A's blank over B's company name."""
    attname = Lead._meta.get_field(name).attname
    if _is_empty(getattr(lead_a, attname)) and not _is_empty(getattr(lead_b, attname)):
        return "b"
    return "a"


class MergeLeadsForm(forms.Form):
    """Master choice plus one radio per differing field ("a" or "b": whose value wins)."""

    master = forms.ChoiceField(
        widget=forms.RadioSelect, label=_("Master lead (survives)")
    )

    def __init__(self, *args, lead_a: Lead, lead_b: Lead, fields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lead_a, self.lead_b = lead_a, lead_b
        self.fields["master"].choices = [
            ("a", _lead_choices_label(lead_a)),
            ("b", _lead_choices_label(lead_b)),
        ]
        self.fields["master"].initial = "a"
        self.differing = fields
        for name in fields:
            self.fields[f"pick_{name}"] = forms.ChoiceField(
                choices=[("a", "A"), ("b", "B")],
                widget=forms.RadioSelect,
                initial=_non_empty_side(lead_a, lead_b, name),
                label=Lead._meta.get_field(name).verbose_name,
            )

    def merge_arguments(self) -> dict:
        """master, subordinate and field_values for merge_leads (after is_valid)."""
        leads = {"a": self.lead_a, "b": self.lead_b}
        master_key = self.cleaned_data["master"]
        sub_key = "b" if master_key == "a" else "a"
        field_values = {}
        for name in self.differing:
            chosen = self.cleaned_data[f"pick_{name}"]
            if chosen != master_key:
                field = Lead._meta.get_field(name)
                field_values[name] = getattr(leads[chosen], field.attname)
        return {
            "master": leads[master_key],
            "subordinate": leads[sub_key],
            "field_values": field_values,
        }
