"""FilterSets for the account, contact and opportunity lists; selectors apply them."""

import django_filters
from django import forms
from django.db.models import Q

from accounts.models import (
    Account,
    Contact,
    Industry,
    Opportunity,
    OpportunityState,
    OpportunityStatus,
)
from leadsite.forms import BusinessDatesFilterMixin
from leadsite.permissions import mine_q

# Id filters accept primary keys only: a tampered 20-digit value is ignored like
# any invalid filter instead of overflowing the database integer.
PK_BOUNDS = {"min_value": 1, "max_value": 2**63 - 1, "decimal_places": 0}


def search_q(value: str, fields: list[str]) -> Q:
    """Every word of `value` must match at least one of `fields` (icontains)."""
    query = Q()
    for word in value.split()[:8]:
        word_q = Q()
        for field in fields:
            word_q |= Q(**{f"{field}__icontains": word})
        query &= word_q
    return query


class SearchFilterSet(BusinessDatesFilterMixin, django_filters.FilterSet):
    """A free-text `q` over `search_fields` and a "Mine only" switch."""

    search_fields: list[str] = []

    q = django_filters.CharFilter(
        method="filter_search",
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search…"}),
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine", label="Mine only", widget=forms.CheckboxInput
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def filter_search(self, queryset, name, value):
        return (
            queryset.filter(search_q(value, self.search_fields)) if value else queryset
        )

    def filter_mine(self, queryset, name, value):
        if value and self.user is not None:
            return queryset.filter(mine_q(self.user))
        return queryset


class AccountFilter(SearchFilterSet):
    search_fields = ["name", "email", "phone", "account_number", "city"]

    industry = django_filters.ChoiceFilter(choices=Industry.choices, empty_label="Any")
    is_partner = django_filters.BooleanFilter(
        label="Channel partner",
        widget=forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")]),
    )
    country = django_filters.CharFilter(lookup_expr="icontains", label="Country")

    class Meta:
        model = Account
        fields = ["q", "industry", "is_partner", "country", "mine"]


class ContactFilter(SearchFilterSet):
    search_fields = [
        "first_name",
        "last_name",
        "email",
        "business_phone",
        "mobile_phone",
        "job_title",
        "account__name",
    ]

    account = django_filters.NumberFilter(
        **PK_BOUNDS, field_name="account_id", widget=forms.HiddenInput
    )
    city = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Contact
        fields = ["q", "city", "mine", "account"]


class OpportunityFilter(SearchFilterSet):
    search_fields = [
        "name",
        "account__name",
        "contact__first_name",
        "contact__last_name",
    ]

    state = django_filters.ChoiceFilter(
        choices=OpportunityState.choices, empty_label="Any"
    )
    status = django_filters.ChoiceFilter(
        choices=OpportunityStatus.choices, empty_label="Any", label="Status reason"
    )
    close_after = django_filters.DateFilter(
        field_name="estimated_close_date",
        lookup_expr="gte",
        label="Closes from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    close_before = django_filters.DateFilter(
        field_name="estimated_close_date",
        lookup_expr="lte",
        label="Closes until",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    account = django_filters.NumberFilter(
        **PK_BOUNDS, field_name="account_id", widget=forms.HiddenInput
    )
    contact = django_filters.NumberFilter(
        **PK_BOUNDS, field_name="contact_id", widget=forms.HiddenInput
    )

    class Meta:
        model = Opportunity
        fields = [
            "q",
            "state",
            "status",
            "close_after",
            "close_before",
            "mine",
            "account",
            "contact",
        ]
