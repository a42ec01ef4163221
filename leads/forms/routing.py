"""Forms for routing rules: the rule, its condition rows (a formset), the dry run's
size and the assignment log filters."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Account, BusinessUnit, Team, User
from accounts.permissions import visible_to
from leads.models import AssignmentReason, Campaign, CaptureForm, RoutingRule
from leads.permissions import routing_unit_ids
from leads.routing.conditions import (
    CHOICE,
    FIELDS,
    LIST_OPERATORS,
    OPERATORS,
    REF,
    clean_condition,
    describe_condition,
)
from leads.services.routing import RULE_FIELDS
from leadsite.core.forms import formfield_callback
from leadsite.core.versioning import VersionField, carry_version, resolve_conflict

DRY_RUN_DEFAULT = 500
DRY_RUN_MAX = 5000
# For the condition builder's script: which input and operators each field takes.
FIELD_KINDS = {
    key: {
        "kind": spec.kind,
        "ops": list(spec.operators),
        "integer": spec.integer,
        "bounds": list(spec.bounds) if spec.bounds else None,
    }
    for key, spec in FIELDS.items()
}


class RoutingRuleForm(forms.ModelForm):
    version = VersionField()
    # The conditions as the edit page was loaded with (the condition rows are a
    # formset of their own): after an edit conflict, the view tells from them
    # whether the user or the other person changed the conditions.
    loaded_conditions = forms.JSONField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = RoutingRule
        formfield_callback = formfield_callback
        fields = RULE_FIELDS
        labels = {
            "business_unit": _("Business unit (level)"),
            "channel_partner": _("Channel partner (level)"),
            "target_user": _("Assign to user"),
            "target_team": _("…or to team"),
            "is_active": _("Active"),
        }
        help_texts = {
            "business_unit": _("Leave both levels empty for an organisation rule."),
            "distribution": _("How a team shares leads."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        units = routing_unit_ids(user)
        unit_qs = BusinessUnit.objects.order_by("name")
        partner_qs = Account.objects.filter(is_partner=True).order_by("name")
        team_qs = Team.objects.select_related("business_unit").order_by("name")
        user_qs = User.objects.filter(is_active=True).order_by("first_name", "username")
        if units is not None:
            unit_qs = unit_qs.filter(pk__in=units)
            partner_qs = partner_qs.filter(business_unit_id__in=units)
            team_qs = team_qs.filter(business_unit_id__in=units)
            user_qs = user_qs.filter(business_unit_id__in=units)
        self.fields["business_unit"].queryset = unit_qs
        self.fields["channel_partner"].queryset = partner_qs
        self.fields["target_team"].queryset = team_qs
        self.fields["target_user"].queryset = user_qs
        self.fields["order"].help_text = _("Lower runs first within its level.")
        self.organisation_allowed = units is None
        carry_version(self)
        if self.instance.pk is not None:
            self.initial.setdefault("loaded_conditions", self.instance.conditions)

    def clean(self):
        data = super().clean()
        if data.get("business_unit") and data.get("channel_partner"):
            self.add_error(
                "channel_partner",
                _(
                    "A rule belongs to a business unit or to a channel partner, not both."
                ),
            )
        if (
            not self.organisation_allowed
            and not data.get("business_unit")
            and not data.get("channel_partner")
            and "business_unit" not in self.errors
        ):
            self.add_error(
                "business_unit",
                _(
                    "Choose your business unit (or a channel partner): organisation rules "
                    "are for administrators."
                ),
            )
        if bool(data.get("target_user")) == bool(data.get("target_team")):
            self.add_error(
                "target_user", _("Assign to a user or to a team: choose exactly one.")
            )
        return data

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


def _value_choices(user):
    """Grouped choices "field:value" for every field whose values can be listed."""
    groups = []
    for key, spec in FIELDS.items():
        if spec.kind == CHOICE:
            options = [(f"{key}:{value}", label) for value, label in spec.choices]
            groups.append((capfirst(spec.label), options))
    refs = {
        "campaign": Campaign.objects.order_by("name"),
        "channel_partner": visible_to(
            user, Account.objects.filter(is_partner=True)
        ).order_by("name"),
        "capture_form": CaptureForm.objects.order_by("name"),
        "business_unit": BusinessUnit.objects.order_by("name"),
    }
    for key, queryset in refs.items():
        options = [
            (f"{key}:{pk}", name) for pk, name in queryset.values_list("pk", "name")
        ]
        groups.append((capfirst(FIELDS[key].label), options))
    return groups


class ConditionForm(forms.Form):
    """One condition row: field, operator and a value typed (text, numbers) or
    picked from the field's list (choices, records)."""

    field = forms.ChoiceField(
        label=_("Field"),
        choices=[("", _("— field —"))]
        + [(key, capfirst(spec.label)) for key, spec in FIELDS.items()],
        widget=forms.Select(attrs={"class": "condition-field"}),
    )
    op = forms.ChoiceField(
        label=_("Operator"),
        choices=list(OPERATORS.items()),
        widget=forms.Select(attrs={"class": "condition-op"}),
    )
    value = forms.CharField(
        label=_("Value"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"class": "condition-value", "placeholder": _("value")}
        ),
        help_text=_("For “in”: several values separated by commas."),
    )
    values = forms.MultipleChoiceField(
        required=False,
        label=_("Values"),
        widget=forms.SelectMultiple(attrs={"class": "condition-values", "size": 10}),
        help_text=_("Ctrl- or ⌘-click to pick several."),
    )

    def __init__(self, *args, value_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["values"].choices = value_choices

    def clean(self):
        data = super().clean()
        key, op = data.get("field"), data.get("op")
        if not key or not op:
            return data
        spec = FIELDS[key]
        if spec.kind in (CHOICE, REF):
            picked = [
                item.split(":", 1)[1]
                for item in data.get("values") or []
                if item.split(":", 1)[0] == key
            ]
            value = picked if op in LIST_OPERATORS else (picked or [None])[0]
            if op == "equals" and len(picked) > 1:
                self.add_error(
                    "values", _("“is” takes one value: use “in” for several.")
                )
                return data
            target = "values"
        else:
            text = (data.get("value") or "").strip()
            if op in LIST_OPERATORS:
                value = [part.strip() for part in text.split(",") if part.strip()]
            else:
                value = text
            target = "value"
        try:
            data["condition"] = clean_condition(
                {"field": key, "op": op, "value": value}
            )
        except ValidationError as error:
            self.add_error("op" if error.code == "operator" else target, error)
        return data


class BaseConditionFormSet(forms.BaseFormSet):
    def __init__(self, *args, user, **kwargs):
        self.value_choices = _value_choices(user)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "value_choices": self.value_choices}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            value_choices=self.value_choices,
            renderer=self.renderer,
        )
        self.add_fields(form, None)
        return form

    def conditions(self) -> list:
        return [
            form.cleaned_data["condition"]
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and "condition" in form.cleaned_data
        ]


ConditionFormSet = forms.formset_factory(
    ConditionForm, formset=BaseConditionFormSet, extra=0, can_delete=True
)


def condition_initial(conditions) -> list[dict]:
    """Formset initial rows for stored conditions."""
    rows = []
    for condition in conditions or []:
        spec = FIELDS[condition["field"]]
        value = condition["value"]
        items = value if isinstance(value, list) else [value]
        row = {"field": condition["field"], "op": condition["op"]}
        if value is None:
            pass
        elif spec.kind in (CHOICE, REF):
            row["values"] = [f"{condition['field']}:{item}" for item in items]
        else:
            row["value"] = ", ".join(str(item) for item in items)
        rows.append(row)
    return rows


def _conditions_text(conditions) -> str:
    return "; ".join(describe_condition(c) for c in conditions) or str(
        _("no conditions")
    )


def resolve_rule_conflict(form, formset, current, *, user):
    """After an EditConflict on the rule form: (form, condition formset, rows) to
    show, as resolve_conflict does for the form's fields. The conditions follow the
    same rule as a field: changed only by the other person → theirs are in the
    rows; changed by the user → the user's stay (both shown when both changed).
    The form carries the current version, so saving again applies."""
    merged, rows = resolve_conflict(RoutingRuleForm, form, current, user=user)
    loaded = form.cleaned_data.get("loaded_conditions")
    mine = formset.conditions()
    user_changed = loaded is None or mine != loaded
    if current.conditions != (mine if loaded is None else loaded):
        theirs = _conditions_text(current.conditions)
        if user_changed:
            rows.append((_("Conditions"), theirs, _conditions_text(mine)))
        else:
            rows.append((_("Conditions"), theirs, None))
            formset = ConditionFormSet(
                prefix=formset.prefix,
                user=user,
                initial=condition_initial(current.conditions),
            )
    # The next save compares against the conditions stored now.
    merged.data["loaded_conditions"] = json.dumps(current.conditions)
    return merged, formset, rows


class DryRunForm(forms.Form):
    leads = forms.IntegerField(
        label=_("Replay the last … leads"),
        min_value=1,
        max_value=DRY_RUN_MAX,
        initial=DRY_RUN_DEFAULT,
        required=False,
    )


class RoutingDryRunForm(DryRunForm):
    """The routing page's dry run: the active rules, and the inactive rules ticked
    here tried as if they were active."""

    inactive = forms.TypedMultipleChoiceField(
        label=_("Also try these inactive rules, as if active"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, rules, **kwargs):
        """`rules`: the rules the page lists (no query here)."""
        super().__init__(*args, **kwargs)
        self.fields["inactive"].choices = [
            (rule.pk, rule.name) for rule in rules if not rule.is_active
        ]


class AssignmentLogFilterForm(forms.Form):
    rule = forms.ModelChoiceField(
        label=_("Rule"), queryset=RoutingRule.objects.order_by("name"), required=False
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", _("— any —")), *AssignmentReason.choices],
        required=False,
    )
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = routing_unit_ids(user)
        users = User.objects.order_by("first_name", "username")
        if units == []:
            users = users.filter(pk=user.pk)
        elif units is not None:
            users = users.filter(business_unit_id__in=units)
        self.fields["assignee"].queryset = users
