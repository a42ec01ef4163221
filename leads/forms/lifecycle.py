"""Forms for the lead lifecycle: create/edit, qualify, disqualify and bulk actions.

Forms validate input only; the views hand cleaned_data to the services.
"""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import ADDRESS_FIELDS, Account
from accounts.permissions import assignable_teams, assignable_users, visible_to
from leads.models import (
    DISQUALIFY_REASONS,
    LEAD_COMPANY_FIELDS,
    LEAD_CONTACT_FIELDS,
    LEAD_DO_NOT_CONTACT_FIELDS,
    LEAD_QUALIFICATION_FIELDS,
    LEAD_SOURCE_FIELDS,
    Campaign,
    Lead,
)
from leads.routing.conditions import FIELDS as CONDITION_FIELDS
from leads.selectors.leads import list_leads
from leads.submissions import SubmissionTokenField
from leadsite.core.forms import (
    EMPTY_LABEL,
    KeepStoredChoicesMixin,
    formfield_callback,
    keep_stored_choices,
)
from leadsite.core.versioning import VersionField, carry_version

phone_validator = RegexValidator(
    r"^\+?[0-9 ().\-/]{6,}(\s*(x|ext\.?)\s*\d+)?$",
    _("Enter a phone number: digits, spaces, + ( ) - . / and an optional extension."),
)

# The form's sections, denser than the merge page's and the admin's groups
# (LEAD_FIELD_GROUPS): (legend, field names), built from the same field lists.
LEAD_SECTIONS = [
    (_("Contact"), ["subject", *LEAD_CONTACT_FIELDS, "preferred_contact_method"]),
    (_("Company"), [*LEAD_COMPANY_FIELDS, *ADDRESS_FIELDS]),
    (_("Qualification details"), LEAD_QUALIFICATION_FIELDS),
    (_("Source and campaign"), LEAD_SOURCE_FIELDS),
    (_("Contact preferences"), LEAD_DO_NOT_CONTACT_FIELDS),
    (_("Description"), ["description"]),
]
LEAD_FORM_FIELDS = [name for _legend, names in LEAD_SECTIONS for name in names]
# The lead form's fields that routing conditions read (CONDITION_FIELDS): a change
# to one of them updates the new-lead form's routing preview.
ROUTING_FIELDS = [
    name
    for name in LEAD_FORM_FIELDS
    if name in {spec.attr.removesuffix("_id") for spec in CONDITION_FIELDS.values()}
]


def _limit_choices(form, user) -> None:
    """Active campaigns; partners the user can see only (a tampered id fails)."""
    form.fields["campaign"].queryset = Campaign.objects.filter(is_active=True).order_by(
        "name"
    )
    form.fields["channel_partner"].queryset = visible_to(
        user, Account.objects.filter(is_partner=True)
    ).order_by("name")


class LeadForm(KeepStoredChoicesMixin, forms.ModelForm):
    confirm_duplicates = forms.BooleanField(
        required=False, widget=forms.HiddenInput, label=_("Save anyway")
    )
    version = VersionField()
    submission_token = SubmissionTokenField()
    assign_to_me = forms.BooleanField(
        required=False,
        label=_("Assign to me"),
        help_text=_(
            "Keep this lead even when a routing rule would send it to someone else."
        ),
    )

    class Meta:
        model = Lead
        formfield_callback = formfield_callback
        fields = LEAD_FORM_FIELDS
        widgets = {
            "estimated_close_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "email": forms.EmailInput(),
            "business_phone": forms.TextInput(attrs={"type": "tel"}),
            "mobile_phone": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_phone"].validators.append(phone_validator)
        self.fields["mobile_phone"].validators.append(phone_validator)
        _limit_choices(self, user)
        for name in ("estimated_value", "annual_revenue", "budget_amount"):
            self.fields[name].widget.attrs.setdefault("min", "0")
        keep_stored_choices(self)
        carry_version(self)
        if self.instance.pk:
            del self.fields["assign_to_me"]  # routing happens on create only
        else:
            # The routing preview follows these (templates/leads/lead_form.html).
            for name in (*ROUTING_FIELDS, "assign_to_me"):
                self.fields[name].widget.attrs["data-routing"] = ""

    def sections(self):
        """(legend, [bound fields]) in the order D365 shows them."""
        return [
            (legend, [self[name] for name in names]) for legend, names in LEAD_SECTIONS
        ]

    def service_fields(self) -> dict:
        """cleaned_data for create_lead / update_lead (without form-only fields)."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class LeadRoutingPreviewForm(forms.Form):
    """The new-lead form's routing fields (ROUTING_FIELDS) and "Assign to me" as
    typed so far, for the routing preview; a value that is not valid (yet) reads
    as empty."""

    assign_to_me = forms.BooleanField(label=_("Assign to me"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                Lead, fields=ROUTING_FIELDS, formfield_callback=formfield_callback
            )
        )
        for field in self.fields.values():
            field.required = False
        _limit_choices(self, user)

    def routing_fields(self) -> dict:
        """Lead field name -> value, for the valid routing fields."""
        self.is_valid()
        return {
            name: self.cleaned_data[name]
            for name in ROUTING_FIELDS
            if self.cleaned_data.get(name) not in (None, "")
        }


class DisqualifyLeadForm(forms.Form):
    reason = forms.TypedChoiceField(
        choices=[(int(s), s.label) for s in DISQUALIFY_REASONS],
        coerce=int,
        label=_("Reason"),
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        required=False,
        max_length=1000,
        label=_("Details"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LeadIdsField(forms.ModelMultipleChoiceField):
    """Selected lead ids; a value that cannot be a primary key (not ASCII digits, or
    beyond 64 bits) is an invalid choice before any query (SQLite raises
    OverflowError on an out-of-range integer in IN (...))."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk)
            if not (text.isascii() and text.isdigit() and int(text) < 2**63):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class BulkActionForm(forms.Form):
    """Assign or disqualify the selected leads (ids limited to the user's scope)."""

    ASSIGN = "assign"
    DISQUALIFY = "disqualify"
    ROUTE = "route"

    action = forms.ChoiceField(
        choices=[
            (ASSIGN, _("Assign")),
            (DISQUALIFY, _("Disqualify")),
            (ROUTE, _("Route")),
        ],
        label=_("Action"),
    )
    ids = LeadIdsField(
        queryset=Lead.objects.none(),
        error_messages={
            "required": _("Select at least one lead."),
            "invalid_choice": _("One of the selected leads is not available to you."),
        },
    )
    owner_user = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Assign to user")
    )
    owner_team = forms.ModelChoiceField(
        queryset=None, required=False, label=_("…or team")
    )
    reason = forms.TypedChoiceField(
        choices=[("", EMPTY_LABEL), *[(int(s), s.label) for s in DISQUALIFY_REASONS]],
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Disqualify reason"),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].queryset = list_leads(user=user)
        self.fields["owner_user"].queryset = assignable_users(user)
        self.fields["owner_team"].queryset = assignable_teams(user)

    def clean(self):
        data = super().clean()
        if data.get("action") == self.ASSIGN and bool(data.get("owner_user")) == bool(
            data.get("owner_team")
        ):
            raise forms.ValidationError(
                _("Choose a user or a team to assign to.")
                if not data.get("owner_user")
                else _("Choose a user or a team to assign to, not both.")
            )
        if data.get("action") == self.DISQUALIFY and data.get("reason") is None:
            self.add_error("reason", _("Choose why these leads are disqualified."))
        return data
