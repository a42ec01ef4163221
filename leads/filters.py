"""The lead list's filters: saved views, field filters, text search and sorting.

Every value lives in the query string, so any combination is a shareable URL.
"""

import django_filters
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import BusinessUnit, OpportunityState, Team, User
from accounts.permissions import (
    assignable_teams,
    assignable_users,
    business_unit_subtree_ids,
    mine_q,
    visible_business_units,
)
from leads.models import (
    Campaign,
    ConsentState,
    ConsentStatus,
    ImportBatch,
    ImportRow,
    LeadRating,
    LeadSource,
    LeadState,
    LeadStatus,
    RowOutcome,
)
from leads.permissions import visible_import_batches
from leadsite.core.forms import BusinessDatesFilterMixin, QuickSelect
from leadsite.core.phones import phone_search_q

# The consent filter's choices (ConsentState: pending, flagged unconfirmed).
CONSENT_CHOICES = [
    ("unconfirmed", _("Consent unconfirmed")),
    ("pending", _("Consent awaiting confirmation")),
]
# Saved views: (key, label). "mine" is the default when the URL names none.
SAVED_VIEWS = [
    ("mine", _("My open leads")),
    ("open", _("All open leads")),
    ("closed", _("Closed leads")),
    ("unassigned", _("Unassigned")),
    ("all", _("All leads")),
]
DEFAULT_VIEW = "mine"
# Search words shorter than this match the start of a name or company only.
SHORT_WORD = 3
# Sortable columns (all indexed): query value → model field.
SORT_FIELDS = {
    "created": "created_at",
    "name": "last_name",
    "company": "company_name",
    "value": "estimated_value",
    "close": "estimated_close_date",
    "rating": "rating",
    "status": "status",
    # The score (leads.models.LeadScore, joined); unscored leads last either way.
    "score": "score__score",
}
# The grade filter's choices; a letter's score range comes from the thresholds
# (leads.selectors.scoring.grade_range, handed in by the selector).
NOT_SCORED = "none"
GRADE_CHOICES = [
    ("A", "A"),
    ("B", "B"),
    ("C", "C"),
    ("D", "D"),
    (NOT_SCORED, _("Not scored")),
]


def _users(request):
    if request is None:
        return User.objects.none()
    return assignable_users(request.user)


def _teams(request):
    if request is None:
        return Team.objects.none()
    return assignable_teams(request.user)


def _business_units(request):
    if request is None:
        return BusinessUnit.objects.none()
    return visible_business_units(request.user)


def _import_batches(request):
    if request is None:
        return ImportBatch.objects.none()
    return visible_import_batches(request.user)


class LeadOrdering(django_filters.OrderingFilter):
    """SORT_FIELDS as the query's order; the score sorts its unscored leads last
    in both directions (NULLS LAST), where the database's default puts them first
    when descending."""

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        if (param[1:] if descending else param) == "score":
            score = F(SORT_FIELDS["score"])
            return (
                score.desc(nulls_last=True)
                if descending
                else score.asc(nulls_last=True)
            )
        return super().get_ordering_value(param)


class LeadFilter(BusinessDatesFilterMixin, django_filters.FilterSet):
    view = django_filters.ChoiceFilter(
        choices=SAVED_VIEWS, method="filter_view", empty_label=None, label=_("View")
    )
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, company, email or phone")}
        ),
    )
    state = django_filters.ChoiceFilter(
        choices=LeadState.choices,
        label=_("State"),
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    status = django_filters.ChoiceFilter(
        choices=LeadStatus.choices,
        label=_("Status reason"),
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    source = django_filters.ChoiceFilter(
        choices=LeadSource.choices,
        label=_("Source"),
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    rating = django_filters.ChoiceFilter(
        choices=LeadRating.choices,
        label=_("Rating"),
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    owner = django_filters.ModelChoiceFilter(
        field_name="owner_user",
        queryset=_users,
        label=_("Owner"),
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    team = django_filters.ModelChoiceFilter(
        field_name="owner_team",
        queryset=_teams,
        label=_("Team"),
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    business_unit = django_filters.ModelChoiceFilter(
        queryset=_business_units,
        label=_("Business unit"),
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    campaign = django_filters.ModelChoiceFilter(
        queryset=Campaign.objects.order_by("name"),
        label=_("Campaign"),
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    created = django_filters.DateFromToRangeFilter(
        field_name="created_at",
        label=_("Created"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    close = django_filters.DateFromToRangeFilter(
        field_name="estimated_close_date",
        label=_("Est. close"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    grade = django_filters.ChoiceFilter(
        choices=GRADE_CHOICES,
        method="filter_grade",
        label=_("Grade"),
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    sort = LeadOrdering(
        fields={field: key for key, field in SORT_FIELDS.items()},
        label=_("Sort"),
    )
    # Drill-down from the source report: exact sets behind its numbers.
    no_source = django_filters.BooleanFilter(
        field_name="source", lookup_expr="isnull", label=_("No source")
    )
    no_campaign = django_filters.BooleanFilter(
        field_name="campaign", lookup_expr="isnull", label=_("No campaign")
    )
    merged = django_filters.BooleanFilter(label=_("Merged"))
    unit = django_filters.ModelChoiceFilter(
        queryset=_business_units,
        method="filter_unit",
        label=_("Business unit and below"),
    )
    opportunity = django_filters.ChoiceFilter(
        field_name="qualifying_opportunity__state",
        choices=OpportunityState.choices,
        label=_("Opportunity"),
    )
    # "Go to leads" of an import: the leads it created or updated (its chip names
    # the import; batches outside the user's scope are not a choice).
    import_batch = django_filters.ModelChoiceFilter(
        queryset=_import_batches, method="filter_import_batch", label=_("From")
    )
    # Consent (leads/services/consent.py): double opt-ins awaiting confirmation, or
    # flagged unconfirmed by the daily job; linked from the lead's consent panel.
    consent = django_filters.ChoiceFilter(
        choices=CONSENT_CHOICES,
        method="filter_consent",
        label=_("Consent"),
        empty_label=_("Any"),
    )

    def __init__(self, data=None, *args, grade_range=None, **kwargs):
        # letter -> (lowest, highest) score under the current thresholds.
        self.grade_range = grade_range
        data = data.copy() if data is not None else {}
        if not data.get("view"):
            data["view"] = DEFAULT_VIEW
        super().__init__(data, *args, **kwargs)

    def filter_queryset(self, queryset):
        if self.form.errors.keys() - {"view", "sort"}:
            # A value outside the user's choices (tampered or stale URL) shows its
            # error and no rows, never rows the filter did not ask for.
            return queryset.none()
        queryset = super().filter_queryset(queryset)
        if "view" not in self.form.cleaned_data:
            # An unknown view name falls back to the default, never to "everything".
            queryset = self.filter_view(queryset, "view", DEFAULT_VIEW)
        if self.form.cleaned_data.get("sort"):
            # A stable tiebreak so paging never repeats or skips rows.
            return queryset.order_by(*queryset.query.order_by, "-id")
        return queryset.order_by("-created_at", "-id")

    def filter_view(self, queryset, name, value):
        user = self.request.user if self.request else None
        if value == "mine":
            return queryset.filter(mine_q(user), state=LeadState.OPEN)
        if value == "open":
            return queryset.filter(state=LeadState.OPEN)
        if value == "closed":
            return queryset.exclude(state=LeadState.OPEN)
        if value == "unassigned":
            # Owned by a team but no one person yet: the team's queue.
            return queryset.filter(owner_user__isnull=True, state=LeadState.OPEN)
        return queryset

    def filter_grade(self, queryset, name, value):
        if value == NOT_SCORED:
            # No score row yet, or one without a number (not enough data).
            return queryset.filter(score__score__isnull=True)
        if self.grade_range is None:
            raise ImproperlyConfigured("LeadFilter(grade_range=...) filters by grade.")
        low, high = self.grade_range(value)
        return queryset.filter(score__score__gte=low, score__score__lte=high)

    def filter_import_batch(self, queryset, name, value):
        rows = ImportRow.objects.filter(
            batch=value,
            outcome__in=[RowOutcome.CREATED, RowOutcome.UPDATED],
            lead__isnull=False,
        )
        return queryset.filter(pk__in=rows.values("lead_id"))

    def filter_consent(self, queryset, name, value):
        states = ConsentState.objects.filter(
            lead__isnull=False, status=ConsentStatus.PENDING
        )
        if value == "unconfirmed":
            states = states.filter(unconfirmed_at__isnull=False)
        return queryset.filter(pk__in=states.values("lead_id"))

    def filter_unit(self, queryset, name, value):
        return queryset.filter(business_unit_id__in=business_unit_subtree_ids(value.pk))

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if "@" in value:
            return queryset.filter(email__icontains=value)
        # A phone number of MIN_DIGITS digits or more: by its digits, whatever the
        # formatting on either side (leadsite.core.phones); the words below still match
        # too (an email or company with those digits).
        phone = phone_search_q(["business_phone_digits", "mobile_phone_digits"], value)
        condition = Q()
        for word in value.split()[:4]:
            if len(word) < SHORT_WORD:
                # One or two letters: the start of a name or company. No trigram
                # index can serve a pattern this short (a full scan of the scope);
                # prefix indexes on the same columns can (leads 0004).
                condition &= (
                    Q(last_name__istartswith=word)
                    | Q(first_name__istartswith=word)
                    | Q(company_name__istartswith=word)
                )
                continue
            condition &= (
                Q(last_name__icontains=word)
                | Q(first_name__icontains=word)
                | Q(company_name__icontains=word)
                | Q(email__icontains=word)
            )
        return queryset.filter(condition if phone is None else condition | phone)
