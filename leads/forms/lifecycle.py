"""Forms for the lead lifecycle: create/edit, qualify, disqualify and bulk actions.

Forms validate input only; the views hand cleaned_data to the services.
"""

from django import forms
from django.core.validators import RegexValidator

from accounts.forms import Combobox, DateInput
from accounts.models import ADDRESS_FIELDS, MONEY, Account, Contact
from leads import routing
from leads.models import DISQUALIFY_REASONS, Campaign, Lead
from leads.selectors.leads import list_leads
from leads.submissions import SubmissionTokenField
from leadsite.forms import (
    EMPTY_LABEL,
    BusinessDateField,
    KeepStoredChoicesMixin,
    formfield_callback,
    keep_stored_choices,
)
from leadsite.permissions import assignable_teams, assignable_users, visible_to
from leadsite.versioning import VersionField, carry_version

phone_validator = RegexValidator(
    r"^\+?[0-9 ().\-/]{6,}(\s*(x|ext\.?)\s*\d+)?$",
    "Enter a phone number: digits, spaces, + ( ) - . / and an optional extension.",
)

# Sections as Dynamics 365 groups a lead's fields: (legend, field names).
LEAD_SECTIONS = [
    (
        "Contact",
        [
            "subject",
            "salutation",
            "first_name",
            "last_name",
            "job_title",
            "email",
            "business_phone",
            "mobile_phone",
            "preferred_contact_method",
        ],
    ),
    (
        "Company",
        [
            "company_name",
            "website",
            "industry",
            "annual_revenue",
            "number_of_employees",
            *ADDRESS_FIELDS,
        ],
    ),
    (
        "Qualification details",
        [
            "budget_amount",
            "budget_status",
            "purchase_timeframe",
            "purchase_process",
            "need",
            "decision_maker",
            "estimated_value",
            "estimated_close_date",
        ],
    ),
    ("Source and campaign", ["source", "rating", "campaign", "channel_partner"]),
    (
        "Contact preferences",
        ["do_not_email", "do_not_bulk_email", "do_not_phone", "do_not_postal_mail"],
    ),
    ("Description", ["description"]),
]
LEAD_FORM_FIELDS = [name for _, names in LEAD_SECTIONS for name in names]
# The lead form's fields that routing conditions read (leads.routing.FIELDS): a
# change to one of them updates the new-lead form's routing preview.
ROUTING_FIELDS = [
    name
    for name in LEAD_FORM_FIELDS
    if name in {spec.attr.removesuffix("_id") for spec in routing.FIELDS.values()}
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
        required=False, widget=forms.HiddenInput, label="Save anyway"
    )
    version = VersionField()
    submission_token = SubmissionTokenField()
    assign_to_me = forms.BooleanField(
        required=False,
        label="Assign to me",
        help_text="Keep this lead even when a routing rule would send it to "
        "someone else.",
    )

    class Meta:
        model = Lead
        formfield_callback = formfield_callback
        fields = [
            "subject",
            "salutation",
            "first_name",
            "last_name",
            "job_title",
            "email",
            "business_phone",
            "mobile_phone",
            "preferred_contact_method",
            "company_name",
            "website",
            "industry",
            "annual_revenue",
            "number_of_employees",
            *ADDRESS_FIELDS,
            "budget_amount",
            "budget_status",
            "purchase_timeframe",
            "purchase_process",
            "need",
            "decision_maker",
            "estimated_value",
            "estimated_close_date",
            "source",
            "rating",
            "campaign",
            "channel_partner",
            "do_not_email",
            "do_not_bulk_email",
            "do_not_phone",
            "do_not_postal_mail",
            "description",
        ]
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

    assign_to_me = forms.BooleanField(required=False)

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


def _optgroups(matches, others, label):
    """Choices with the matching records first, then the rest, deduplicated."""
    seen = set()
    first = []
    for record in matches:
        seen.add(record.pk)
        reasons = ", ".join(getattr(record, "match_reasons", []))
        first.append(
            (record.pk, f"{label(record)} — {reasons}" if reasons else label(record))
        )
    rest = [(r.pk, label(r)) for r in others if r.pk not in seen]
    choices = [("", EMPTY_LABEL)]
    if first:
        choices.append(("Possible matches", first))
    if rest:
        choices.append(("Other records" if first else "Records", rest))
    return choices


def _account_label(account):
    parts = [account.name, account.city]
    return " · ".join(p for p in parts if p)


def _contact_label(contact):
    company = contact.account.name if contact.account_id and contact.account else ""
    parts = [contact.full_name, contact.email, company]
    return " · ".join(p for p in parts if p)


class QualifyChoicesForm(forms.Form):
    """What qualification creates; the admin's qualify form, and the base of the
    site's (which adds what to link)."""

    create_account = forms.BooleanField(
        required=False, initial=True, label="Create account"
    )
    create_contact = forms.BooleanField(
        required=False, initial=True, label="Create contact"
    )
    create_opportunity = forms.BooleanField(
        required=False, initial=True, label="Create opportunity"
    )


class QualifyLeadForm(QualifyChoicesForm):
    """D365 QualifyLead: what to create, what to link."""

    OTHERS_SHOWN = 100
    field_order = [
        "create_account",
        "existing_account",
        "create_contact",
        "existing_contact",
        "create_opportunity",
        "estimated_value",
        "estimated_close_date",
    ]

    existing_account = forms.ModelChoiceField(
        queryset=Account.objects.none(),
        required=False,
        label="…or link an existing account",
        help_text="A linked account replaces creating one.",
        widget=Combobox(
            "accounts:account-autocomplete", placeholder="Search accounts by name"
        ),
    )
    existing_contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label="…or link an existing contact",
        help_text="A linked contact replaces creating one.",
        widget=Combobox(
            "accounts:contact-autocomplete", placeholder="Search contacts by name"
        ),
    )
    estimated_value = forms.DecimalField(
        label="Est. revenue",
        required=False,
        min_value=0,
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
        help_text="Of the new opportunity: from the lead's est. value, else its budget.",
    )
    estimated_close_date = BusinessDateField(
        label="Est. close date", required=False, widget=DateInput
    )
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=EMPTY_LABEL,
        label="Source campaign",
    )
    description = forms.CharField(
        required=False,
        max_length=500,
        label="Note for the history",
        widget=forms.TextInput,
    )

    def __init__(self, *args, user, lead, matches, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead = lead
        accounts = visible_to(user, Account.objects.all())
        contacts = visible_to(user, Contact.objects.select_related("account"))
        account_field = self.fields["existing_account"]
        contact_field = self.fields["existing_contact"]
        account_field.queryset = accounts
        contact_field.queryset = contacts
        # Callables: the matches and the pickers' "most recently modified" records
        # are read only when the form is shown, never on a valid POST (validation
        # goes through the querysets).
        account_field.choices = lambda: _optgroups(
            matches.accounts,
            accounts.order_by("-modified_at")[: self.OTHERS_SHOWN],
            _account_label,
        )
        contact_field.choices = lambda: _optgroups(
            matches.contacts,
            contacts.order_by("-modified_at")[: self.OTHERS_SHOWN],
            _contact_label,
        )
        self.fields["campaign"].queryset = Campaign.objects.filter(
            is_active=True
        ).order_by("name")
        self.initial.setdefault("campaign", lead.campaign_id)
        self.initial.setdefault(
            "estimated_value",
            lead.estimated_value
            if lead.estimated_value is not None
            else lead.budget_amount,
        )
        self.initial.setdefault("estimated_close_date", lead.estimated_close_date)
        # A reactivated lead offers the records its earlier qualification made.
        if lead.qualifying_account_id:
            self.initial.setdefault("existing_account", lead.qualifying_account_id)
            self.initial.setdefault("create_account", False)
        if lead.qualifying_contact_id:
            self.initial.setdefault("existing_contact", lead.qualifying_contact_id)
            self.initial.setdefault("create_contact", False)
        if not lead.company_name.strip() and not lead.qualifying_account_id:
            self.initial.setdefault("create_account", False)

    def clean(self):
        data = super().clean()
        # The lead's parent account/contact is the customer when none is made.
        account = (
            data.get("existing_account")
            or data.get("create_account")
            or self.lead.parent_account_id
        )
        contact = (
            data.get("existing_contact")
            or data.get("create_contact")
            or self.lead.parent_contact_id
        )
        if data.get("create_opportunity") and not (account or contact):
            raise forms.ValidationError(
                "An opportunity needs a customer: create or pick an account or a contact."
            )
        if (
            data.get("create_account")
            and not data.get("existing_account")
            and not self.lead.company_name.strip()
        ):
            self.add_error(
                "create_account",
                "This lead has no company name to create an account from: pick an "
                "existing account or untick this box.",
            )
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "create_account": data["create_account"] and not data["existing_account"],
            "create_contact": data["create_contact"] and not data["existing_contact"],
            "create_opportunity": data["create_opportunity"],
            "estimated_value": data["estimated_value"],
            "estimated_close_date": data["estimated_close_date"],
            "existing_account": data["existing_account"],
            "existing_contact": data["existing_contact"],
            "campaign": data["campaign"],
            "description": data["description"],
        }


class DisqualifyLeadForm(forms.Form):
    reason = forms.TypedChoiceField(
        choices=[(int(s), s.label) for s in DISQUALIFY_REASONS],
        coerce=int,
        label="Reason",
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        required=False,
        max_length=1000,
        label="Details",
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
        choices=[(ASSIGN, "Assign"), (DISQUALIFY, "Disqualify"), (ROUTE, "Route")],
        label="Action",
    )
    ids = LeadIdsField(
        queryset=Lead.objects.none(),
        error_messages={
            "required": "Select at least one lead.",
            "invalid_choice": "One of the selected leads is not available to you.",
        },
    )
    owner_user = forms.ModelChoiceField(
        queryset=None, required=False, label="Assign to user"
    )
    owner_team = forms.ModelChoiceField(queryset=None, required=False, label="…or team")
    reason = forms.TypedChoiceField(
        choices=[("", EMPTY_LABEL), *[(int(s), s.label) for s in DISQUALIFY_REASONS]],
        coerce=int,
        empty_value=None,
        required=False,
        label="Disqualify reason",
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
                "Choose a user or a team to assign to."
                if not data.get("owner_user")
                else "Choose a user or a team to assign to, not both."
            )
        if data.get("action") == self.DISQUALIFY and data.get("reason") is None:
            self.add_error("reason", "Choose why these leads are disqualified.")
        return data
