"""The qualify page's form (what to create or reuse: account, contact,
opportunity) and the choices the admin's qualify action asks for.
leads/services/qualification.py does the qualifying."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import Combobox, DateInput
from accounts.models import MONEY, Account, Contact
from accounts.permissions import visible_to
from leads.models import Campaign
from leadsite.core.forms import (
    EMPTY_LABEL,
    BusinessDateField,
)


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
        choices.append((_("Possible matches"), first))
    if rest:
        choices.append((_("Other records") if first else _("Records"), rest))
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
        required=False, initial=True, label=_("Create account")
    )
    create_contact = forms.BooleanField(
        required=False, initial=True, label=_("Create contact")
    )
    create_opportunity = forms.BooleanField(
        required=False, initial=True, label=_("Create opportunity")
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
        label=_("…or link an existing account"),
        help_text=_("A linked account replaces creating one."),
        widget=Combobox(
            "accounts:account-autocomplete", placeholder=_("Search accounts by name")
        ),
    )
    existing_contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label=_("…or link an existing contact"),
        help_text=_("A linked contact replaces creating one."),
        widget=Combobox(
            "accounts:contact-autocomplete", placeholder=_("Search contacts by name")
        ),
    )
    estimated_value = forms.DecimalField(
        label=_("Est. revenue"),
        required=False,
        min_value=0,
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
        help_text=_(
            "Of the new opportunity: from the lead's est. value, else its budget."
        ),
    )
    estimated_close_date = BusinessDateField(
        label=_("Est. close date"), required=False, widget=DateInput
    )
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=EMPTY_LABEL,
        label=_("Source campaign"),
    )
    description = forms.CharField(
        required=False,
        max_length=500,
        label=_("Note for the history"),
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
                _(
                    "An opportunity needs a customer: create or pick an account or a contact."
                )
            )
        if (
            data.get("create_account")
            and not data.get("existing_account")
            and not self.lead.company_name.strip()
        ):
            self.add_error(
                "create_account",
                _(
                    "This lead has no company name to create an account from: pick an "
                    "existing account or untick this box."
                ),
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
