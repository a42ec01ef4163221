"""The duplicate rule editor: the rule and up to CONDITION_ROWS condition rows
(field, method, N or threshold); rows left without a field are dropped."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import BusinessUnit
from leads.models import DuplicateAction, DuplicateMethod
from leads.models.duplicates import DUPLICATE_FIELDS, clean_condition
from leads.permissions import routing_unit_ids
from leadsite.core.versioning import VersionField

CONDITION_ROWS = 3


class DuplicateRuleForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Shown beside each match, e.g. “same email”."),
    )
    business_unit = forms.ModelChoiceField(
        label=_("Business unit"),
        queryset=BusinessUnit.objects.none(),
        required=False,
        empty_label=_("Everyone"),
        help_text=_("Checks the records of this unit and below."),
    )
    action = forms.ChoiceField(
        label=_("Action"),
        choices=DuplicateAction.choices,
        initial=DuplicateAction.WARN,
        help_text=_(
            "Warn: the form lists the matches and asks to confirm (capture, "
            "imports and the API flag the new lead). Block: refused with the match "
            "shown. Allow: not checked."
        ),
    )
    exclude_closed = forms.BooleanField(
        label=_("Exclude closed records"),
        required=False,
        help_text=_("Compare only with open leads."),
    )
    version = VersionField()

    def __init__(self, *args, user, rule=None, **kwargs):
        if rule is not None:
            initial = {
                "name": rule.name,
                "business_unit": rule.business_unit_id,
                "action": rule.action,
                "exclude_closed": rule.exclude_closed,
                "version": rule.version,
            }
            for i, condition in enumerate(rule.conditions[:CONDITION_ROWS]):
                initial[f"field_{i}"] = condition["field"]
                initial[f"method_{i}"] = condition["method"]
                initial[f"parameter_{i}"] = condition["parameter"]
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        units = routing_unit_ids(user)
        queryset = BusinessUnit.objects.order_by("name")
        if units is not None:
            queryset = queryset.filter(pk__in=units)
            self.fields["business_unit"].required = True
            self.fields["business_unit"].help_text = _(
                "Checks the records of this unit and below. Everyone's rules are "
                "the administrators'."
            )
        self.fields["business_unit"].queryset = queryset
        for i in range(CONDITION_ROWS):
            self.fields[f"field_{i}"] = forms.ChoiceField(
                label=_("Field"),
                required=False,
                choices=[("", _("— none —")), *DUPLICATE_FIELDS.items()],
            )
            self.fields[f"method_{i}"] = forms.ChoiceField(
                label=_("Compared by"), required=False, choices=DuplicateMethod.choices
            )
            self.fields[f"parameter_{i}"] = forms.CharField(
                label=_("N or threshold"),
                required=False,
                max_length=10,
                help_text=_("First N characters: N. Similar: 0.3 to 1."),
            )

    @property
    def condition_rows(self):
        return [
            (
                self[f"field_{i}"],
                self[f"method_{i}"],
                self[f"parameter_{i}"],
            )
            for i in range(CONDITION_ROWS)
        ]

    def clean(self):
        data = super().clean()
        conditions = []
        for i in range(CONDITION_ROWS):
            if not data.get(f"field_{i}"):
                continue
            try:
                conditions.append(
                    clean_condition(
                        {
                            "field": data[f"field_{i}"],
                            "method": data.get(f"method_{i}"),
                            "parameter": data.get(f"parameter_{i}"),
                        }
                    )
                )
            except ValidationError as error:
                self.add_error(f"field_{i}", error)
        if not conditions and not self.errors:
            raise ValidationError(_("Choose at least one field to compare."))
        data["conditions"] = conditions
        return data

    def rule_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "business_unit": data["business_unit"],
            "action": data["action"],
            "exclude_closed": data["exclude_closed"],
        }
