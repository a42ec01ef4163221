"""Forms that link a lead to accounts, contacts and products of interest. Input
validation only; leads/services/links.py does the writes."""

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.forms import Combobox
from accounts.models import Account, Contact, Product
from accounts.permissions import visible_to
from leads.models import Lead
from leadsite.core.forms import EMPTY_LABEL, QuickSelect

# Suggestions rendered before the user searches; the search box (autocomplete) finds
# the rest, and the field accepts any record in the user's scope.
PICK_LIST_LIMIT = 25


class _PickForm(forms.Form):
    """Pick one record the user may see; the queryset is the source of truth. The
    rendered options are suggestions for this lead (records that look like it,
    not yet linked); the search box finds any other."""

    field_name = ""
    model = None
    link_relation = ""
    label_fields = ()

    def __init__(self, *args, user, lead: Lead | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields[self.field_name]
        field.queryset = visible_to(user, self.model.objects.all())
        if lead is not None and not self.is_bound:
            match = self.suggested_for(lead)
            options = (
                field.queryset.filter(match)
                .exclude(**{self.link_relation: lead})
                .only(*self.label_fields)
                if match is not None
                else []
            )
            field.widget.choices = [
                ("", field.empty_label),
                *((obj.pk, self.label_for(obj)) for obj in options[:PICK_LIST_LIMIT]),
            ]

    def suggested_for(self, lead) -> Q | None:
        """The records that look like `lead` (an indexed match), or None."""
        raise NotImplementedError

    def label_for(self, obj):
        return str(obj)


class LinkAccountForm(_PickForm):
    field_name = "account"
    model = Account
    link_relation = "lead_links__lead"
    label_fields = ("name",)

    account = forms.ModelChoiceField(
        label=_("Account"),
        queryset=Account.objects.none(),
        empty_label=EMPTY_LABEL,
        widget=Combobox(
            "accounts:account-autocomplete", placeholder=_("Search accounts by name")
        ),
    )

    def suggested_for(self, lead):
        company = (lead.company_name or "").strip()
        # The name's prefix index answers this (account_name_upper_prefix).
        return Q(name__istartswith=company) if company else None


class LinkContactForm(_PickForm):
    field_name = "contact"
    model = Contact
    link_relation = "lead_links__lead"
    label_fields = ("first_name", "last_name", "email")

    contact = forms.ModelChoiceField(
        label=_("Contact"),
        queryset=Contact.objects.none(),
        empty_label=EMPTY_LABEL,
        widget=Combobox(
            "accounts:contact-autocomplete", placeholder=_("Search contacts by name")
        ),
    )

    def suggested_for(self, lead):
        match = Q()
        if lead.email:
            match |= Q(email__iexact=lead.email)
        if lead.last_name:
            match |= Q(last_name=lead.last_name)
        return match or None

    def label_for(self, obj):
        return f"{obj} ({obj.email})" if obj.email else str(obj)


class InterestForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.filter(is_active=True),
        empty_label=EMPTY_LABEL,
        widget=QuickSelect,
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        initial=Decimal("1"),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
