"""FilterSets for the account, contact and opportunity lists; selectors apply them."""

import datetime
import functools
from urllib.parse import urlencode

import django_filters
from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    Account,
    Contact,
    Industry,
    Opportunity,
    OpportunityState,
    OpportunityStatus,
    SalesStage,
)
from accounts.permissions import business_unit_subtree_ids, mine_q
from leadsite.core.forms import BusinessDatesFilterMixin
from leadsite.core.phones import phone_search_q

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
    # Digit columns a phone-number query matches (leadsite.core.phones), whatever the
    # formatting on either side.
    phone_fields: list[str] = []

    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Search…")}),
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine", label=_("Mine only"), widget=forms.CheckboxInput
    )

    # What a list shows when its query names none of these filters (its default
    # view), as query values, e.g. {"state": "0"}.
    defaults: dict[str, str] = {}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    @classmethod
    def with_defaults(cls, params):
        """`params` (a QueryDict) with `defaults` added when it names none of the
        filters; a query that names one, even empty ("?state=" for any state),
        is taken as it is."""
        if not cls.defaults or any(name in params for name in cls.base_filters):
            return params
        params = params.copy()
        for name, value in cls.defaults.items():
            params[name] = value
        return params

    def filter_search(self, queryset, name, value):
        if not value:
            return queryset
        condition = search_q(value, self.search_fields)
        phone = phone_search_q(self.phone_fields, value) if self.phone_fields else None
        return queryset.filter(condition if phone is None else condition | phone)

    def filter_mine(self, queryset, name, value):
        if value and self.user is not None:
            return queryset.filter(mine_q(self.user))
        return queryset


class AccountFilter(SearchFilterSet):
    search_fields = ["name", "email", "phone", "account_number", "city"]
    phone_fields = ["phone_digits"]

    industry = django_filters.ChoiceFilter(
        choices=Industry.choices, empty_label=_("Any"), label=_("Industry")
    )
    is_partner = django_filters.BooleanFilter(
        label=_("Channel partner"),
        widget=forms.Select(
            choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))]
        ),
    )
    country = django_filters.CharFilter(lookup_expr="icontains", label=_("Country"))

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
    phone_fields = ["business_phone_digits", "mobile_phone_digits"]

    account = django_filters.NumberFilter(
        **PK_BOUNDS,
        field_name="account_id",
        label=_("Company (parent account)"),
        widget=forms.HiddenInput,
    )
    city = django_filters.CharFilter(lookup_expr="icontains", label=_("City contains"))

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
    # The pipeline is what a rep works: the list opens on the open deals.
    defaults = {"state": str(OpportunityState.OPEN.value)}

    state = django_filters.ChoiceFilter(
        choices=OpportunityState.choices, empty_label=_("Any"), label=_("State")
    )
    status = django_filters.ChoiceFilter(
        choices=OpportunityStatus.choices,
        empty_label=_("Any"),
        label=_("Status reason"),
    )
    sales_stage = django_filters.ChoiceFilter(
        choices=SalesStage.choices, empty_label=_("Any"), label=_("Sales stage")
    )
    close_after = django_filters.DateFilter(
        field_name="estimated_close_date",
        lookup_expr="gte",
        label=_("Closes from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    close_before = django_filters.DateFilter(
        field_name="estimated_close_date",
        lookup_expr="lte",
        label=_("Closes until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    account = django_filters.NumberFilter(
        **PK_BOUNDS,
        field_name="account_id",
        label=_("Customer account"),
        widget=forms.HiddenInput,
    )
    contact = django_filters.NumberFilter(
        **PK_BOUNDS,
        field_name="contact_id",
        label=_("Customer contact"),
        widget=forms.HiddenInput,
    )
    # Drill-down from the lead-source report: opportunities whose
    # originating lead matches. Field lookups only: accounts never imports leads.
    # (The labels name the filter chips.)
    lead_source = django_filters.CharFilter(
        method="filter_lead_source", label=_("Lead source"), widget=forms.HiddenInput
    )
    lead_campaign = django_filters.CharFilter(
        method="filter_lead_campaign",
        label=_("Lead campaign"),
        widget=forms.HiddenInput,
    )
    lead_created_after = django_filters.DateFilter(
        method="filter_lead", label=_("Lead created from"), widget=forms.HiddenInput
    )
    lead_created_before = django_filters.DateFilter(
        method="filter_lead", label=_("Lead created until"), widget=forms.HiddenInput
    )
    lead_unit = django_filters.NumberFilter(
        **PK_BOUNDS,
        method="filter_lead",
        label=_("Lead business unit"),
        widget=forms.HiddenInput,
    )
    lead_owner = django_filters.NumberFilter(
        **PK_BOUNDS,
        method="filter_lead",
        label=_("Lead owner"),
        widget=forms.HiddenInput,
    )
    lead_team = django_filters.NumberFilter(
        **PK_BOUNDS,
        method="filter_lead",
        label=_("Lead team"),
        widget=forms.HiddenInput,
    )

    def _by_lead(self, queryset, **lookups):
        matching = Opportunity.objects.filter(
            **{f"originating_leads__{k}": v for k, v in lookups.items()}
        )
        return queryset.filter(pk__in=matching.values("pk"))

    def filter_lead_source(self, queryset, name, value):
        if value == "none":
            return self._by_lead(queryset, source__isnull=True)
        if value.isdigit() and len(value) < 6:
            return self._by_lead(queryset, source=int(value))
        return queryset.none()

    def filter_lead_campaign(self, queryset, name, value):
        if value == "none":
            return self._by_lead(queryset, campaign__isnull=True)
        if value.isdigit() and len(value) < 19:
            return self._by_lead(queryset, campaign_id=int(value))
        return queryset.none()

    def filter_lead(self, queryset, name, value):
        if isinstance(value, datetime.date) and not 1900 <= value.year <= 2200:
            return queryset.none()
        if name == "lead_created_after":
            start = timezone.make_aware(
                datetime.datetime.combine(value, datetime.time.min)
            )
            return self._by_lead(queryset, created_at__gte=start)
        if name == "lead_created_before":
            end = timezone.make_aware(
                datetime.datetime.combine(
                    value + datetime.timedelta(days=1), datetime.time.min
                )
            )
            return self._by_lead(queryset, created_at__lt=end)
        if name == "lead_unit":
            return self._by_lead(
                queryset, business_unit_id__in=business_unit_subtree_ids(int(value))
            )
        field = {"lead_owner": "owner_user_id", "lead_team": "owner_team_id"}[name]
        return self._by_lead(queryset, **{field: int(value)})

    class Meta:
        model = Opportunity
        fields = [
            "q",
            "state",
            "status",
            "sales_stage",
            "close_after",
            "close_before",
            "mine",
            "account",
            "contact",
            "lead_source",
            "lead_campaign",
            "lead_created_after",
            "lead_created_before",
            "lead_unit",
            "lead_owner",
            "lead_team",
        ]


# --- Saved views: a list's query string, normalised ------------------------------------


@functools.cache
def list_params(filterset_class) -> frozenset[str]:
    """The query parameters a list's FilterSet reads (a date range reads two,
    e.g. created_after and created_before); nothing else belongs in a saved view."""
    names = set()
    for name, filter_ in filterset_class.base_filters.items():
        # The widget without building the field: a field built here, without a
        # request, would stay cached on the class's filter with empty choices.
        widget = filter_.extra.get("widget") or filter_.field_class.widget
        suffixes = getattr(widget, "suffixes", None)
        if suffixes:
            names.update(f"{name}_{suffix}" if suffix else name for suffix in suffixes)
        else:
            names.add(name)
    return frozenset(names)


def normalise_query(query: str, params: frozenset[str]) -> str:
    """`query` with only the list's own parameters (`params`), in a fixed order: no
    page number, nothing the list would not read. Empty values stay ("?state="
    names every state, not the list's default)."""
    data = QueryDict(query)
    return urlencode(
        [
            (key, value)
            for key in sorted(data)
            if key in params
            for value in data.getlist(key)
        ]
    )
