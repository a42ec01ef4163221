"""The mass update form: which leads (those selected on the list, each with the
version its page showed, or every lead matching the list's filter) and which fields
to set, each field as the lead form offers and checks it."""

import copy

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.permissions import assignable_teams, assignable_users
from leads.forms.lifecycle import LeadForm
from leads.models import LeadStatus
from leads.models.mass_update import MASS_UPDATE_FIELDS, MASS_UPDATE_STATUSES
from leads.selectors.mass_update import editable_lead_ids
from leadsite.core.forms import EMPTY_LABEL

YES_NO = [("1", _("Yes")), ("0", _("No"))]


class SelectionField(forms.Field):
    """Selected leads as "id:version" values (hidden inputs) → [(id, version)],
    each lead once."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        pairs = {}
        for text in value or []:
            pk, _colon, version = str(text).partition(":")
            if not (pk.isascii() and pk.isdigit() and version.isascii()):
                raise forms.ValidationError(_("The selection is not valid."))
            if not version.isdigit() or int(pk) >= 2**63 or int(version) >= 2**31:
                raise forms.ValidationError(_("The selection is not valid."))
            pairs.setdefault(int(pk), int(version))
        return sorted(pairs.items())


class MassUpdateForm(forms.Form):
    selected = SelectionField(required=False)
    query = forms.CharField(required=False, widget=forms.HiddenInput)
    all_matching = forms.BooleanField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
    set_owner = forms.BooleanField(required=False, label=_("Change"))
    owner_user = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Owner"), empty_label=EMPTY_LABEL
    )
    owner_team = forms.ModelChoiceField(
        queryset=None, required=False, label=_("…or team"), empty_label=EMPTY_LABEL
    )
    set_status = forms.BooleanField(required=False, label=_("Change"))
    status = forms.TypedChoiceField(
        choices=[("", EMPTY_LABEL), *[(int(s), s.label) for s in MASS_UPDATE_STATUSES]],
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Status reason"),
        help_text=_(
            "Through the lead's own steps: a lead that may not take it is "
            "skipped, with the reason."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner_user"].queryset = assignable_users(user)
        self.fields["owner_team"].queryset = assignable_teams(user)
        # The lead form's own fields: its choices (active campaigns, partners the
        # user can see), validators and widgets.
        lead_form = LeadForm(user=user)
        self.required_fields = set()
        for name in MASS_UPDATE_FIELDS:
            source = lead_form.fields[name]
            if isinstance(source, forms.BooleanField):
                field = forms.TypedChoiceField(
                    choices=[("", EMPTY_LABEL), *YES_NO],
                    coerce=lambda v: v == "1",
                    label=source.label,
                )
                self.required_fields.add(name)
            else:
                field = copy.deepcopy(source)
                field.widget.attrs.pop("data-routing", None)
                if field.required:
                    self.required_fields.add(name)
            field.required = False
            field.initial = None
            self.fields[f"set_{name}"] = forms.BooleanField(
                required=False, label=_("Change")
            )
            self.fields[name] = field

    def field_rows(self):
        """(change box, value field) for each field the form offers, in order."""
        names = [*MASS_UPDATE_FIELDS]
        return [(self[f"set_{name}"], self[name]) for name in names]

    def clean(self):
        data = super().clean()
        if self.errors.get("selected"):
            raise forms.ValidationError(self.errors.pop("selected"))
        if not data.get("all_matching"):
            ids = [pk for pk, _ in data.get("selected") or []]
            if not ids:
                raise forms.ValidationError(_("Select at least one lead."))
            if len(editable_lead_ids(user=self.user, ids=ids)) != len(ids):
                raise forms.ValidationError(
                    _("One of the selected leads is not available to you.")
                )
        for name in MASS_UPDATE_FIELDS:
            if not data.get(f"set_{name}"):
                # A value typed beside an unticked box is not set: not checked.
                self._errors.pop(name, None)
                data.pop(name, None)
            elif name in self.required_fields:
                if data.get(name) in (None, ""):
                    self.add_error(name, _("Choose the value to set."))
        if data.get("set_owner") and bool(data.get("owner_user")) == bool(
            data.get("owner_team")
        ):
            self.add_error(
                "owner_user",
                _("Choose a user or a team as the owner, not both.")
                if data.get("owner_user")
                else _("Choose a user or a team as the owner."),
            )
        if data.get("set_status") and data.get("status") is None:
            self.add_error("status", _("Choose the status reason to set."))
        if not self.errors and not self.changes():
            raise forms.ValidationError(_("Tick “Change” beside a field to set it."))
        return data

    def changes(self) -> dict:
        """Lead field → the value to set, for the fields ticked "Change"."""
        data = self.cleaned_data
        changes = {
            name: data.get(name)
            for name in MASS_UPDATE_FIELDS
            if data.get(f"set_{name}") and name in data
        }
        if data.get("set_owner"):
            for key in ("owner_user", "owner_team"):
                if data.get(key):
                    changes[key] = data[key]
        if data.get("set_status") and data.get("status") is not None:
            changes["status"] = LeadStatus(data["status"])
        return changes
