"""Forms for the lead lifecycle: create/edit, qualify, disqualify and bulk actions.

Forms validate input only; the views hand cleaned_data to the services.
"""

from django import forms
from django.core.validators import RegexValidator
from django.urls import NoReverseMatch, reverse

from accounts.models import Account, Contact
from leads.models import DISQUALIFY_REASONS, Campaign, Lead, LeadStatus
from leads.selectors.leads import list_leads
from leads.submissions import SubmissionTokenField
from leadsite.forms import (
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
            "address_line1",
            "address_line2",
            "address_line3",
            "city",
            "state_or_province",
            "postal_code",
            "country",
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


class LeadForm(KeepStoredChoicesMixin, forms.ModelForm):
    confirm_duplicates = forms.BooleanField(
        required=False, widget=forms.HiddenInput, label="Save anyway"
    )
    version = VersionField()
    submission_token = SubmissionTokenField()

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
            "address_line1",
            "address_line2",
            "address_line3",
            "city",
            "state_or_province",
            "postal_code",
            "country",
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
        self.fields["campaign"].queryset = Campaign.objects.filter(
            is_active=True
        ).order_by("name")
        # Partners the user can see only: a tampered id fails validation.
        self.fields["channel_partner"].queryset = visible_to(
            user, Account.objects.filter(is_partner=True)
        ).order_by("name")
        for name in ("estimated_value", "annual_revenue", "budget_amount"):
            self.fields[name].widget.attrs.setdefault("min", "0")
        keep_stored_choices(self)
        carry_version(self)

    def sections(self):
        """(legend, [bound fields]) in the order D365 shows them."""
        return [
            (legend, [self[name] for name in names]) for legend, names in LEAD_SECTIONS
        ]

    def service_fields(self) -> dict:
        """cleaned_data for create_lead / update_lead (without form-only fields)."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


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
    choices = [("", "— none —")]
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


def autocomplete_url(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


class QualifyLeadForm(forms.Form):
    """D365 QualifyLead: what to create, what to link."""

    OTHERS_SHOWN = 100

    create_account = forms.BooleanField(
        required=False, initial=True, label="Create account"
    )
    existing_account = forms.ModelChoiceField(
        queryset=Account.objects.none(),
        required=False,
        label="…or link an existing account",
        help_text="A linked account replaces creating one.",
    )
    create_contact = forms.BooleanField(
        required=False, initial=True, label="Create contact"
    )
    existing_contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label="…or link an existing contact",
        help_text="A linked contact replaces creating one.",
    )
    create_opportunity = forms.BooleanField(
        required=False, initial=True, label="Create opportunity"
    )
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(),
        required=False,
        empty_label="— none —",
        label="Source campaign",
    )
    status_reason = forms.TypedChoiceField(
        choices=[(LeadStatus.QUALIFIED, LeadStatus.QUALIFIED.label)],
        coerce=int,
        initial=LeadStatus.QUALIFIED,
        label="Status reason",
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
        # A reactivated lead offers the records its earlier qualification made.
        if lead.qualifying_account_id:
            self.initial.setdefault("existing_account", lead.qualifying_account_id)
            self.initial.setdefault("create_account", False)
        if lead.qualifying_contact_id:
            self.initial.setdefault("existing_contact", lead.qualifying_contact_id)
            self.initial.setdefault("create_contact", False)
        if not lead.company_name.strip() and not lead.qualifying_account_id:
            self.initial.setdefault("create_account", False)
        self.account_autocomplete_url = autocomplete_url(
            "accounts:account-autocomplete"
        )
        self.contact_autocomplete_url = autocomplete_url(
            "accounts:contact-autocomplete"
        )

    def clean(self):
        data = super().clean()
        account = data.get("existing_account") or data.get("create_account")
        contact = data.get("existing_contact") or data.get("create_contact")
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

    action = forms.ChoiceField(
        choices=[(ASSIGN, "Assign"), (DISQUALIFY, "Disqualify")], label="Action"
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
        choices=[("", "— reason —"), *[(int(s), s.label) for s in DISQUALIFY_REASONS]],
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
                "Choose a user or a team to assign to, not both."
            )
        if data.get("action") == self.DISQUALIFY and data.get("reason") is None:
            self.add_error("reason", "Choose why these leads are disqualified.")
        return data
