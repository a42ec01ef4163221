"""Reads for account, contact and opportunity pages, always through the scope gate."""

import hmac
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.utils.translation import gettext
from django_fsm_log.models import StateLog

from accounts.filters import AccountFilter, ContactFilter, OpportunityFilter, search_q
from accounts.models import (
    Account,
    ApiToken,
    Contact,
    DefaultView,
    Opportunity,
    OpportunityProduct,
    OpportunityStatus,
    Product,
    SalesStage,
    SavedView,
    Team,
    User,
    Visibility,
    hash_secret,
    split_api_key,
)
from accounts.permissions import (
    assignable_teams,
    assignable_users,
    may_see_changes,
    team_ids,
    unit_and_ancestor_ids,
    visible_business_units,
    visible_to,
)
from leadsite.core.history import field_changes
from leadsite.core.pagination import COUNT_CAP

# How many contacts/opportunities a detail page lists before linking to the full list.
RELATED_LIMIT = 20
AUTOCOMPLETE_LIMIT = 20
# Outcome buttons left to right, after the page's primary action (Edit).
TRANSITION_ORDER = {"win": 0, "lose": 1, "reopen": 2}


def list_accounts(*, user, filters=None) -> QuerySet[Account]:
    """Accounts the user may see, with owner columns joined, narrowed by `filters`
    (AccountFilter data, e.g. request.GET; invalid values are ignored)."""
    qs = visible_to(user, Account.objects.select_related("owner_user", "owner_team"))
    if filters is not None:
        qs = AccountFilter(filters, queryset=qs, user=user).qs
    return qs


def list_contacts(*, user, filters=None) -> QuerySet[Contact]:
    """Contacts the user may see, with their account joined, narrowed by `filters`."""
    qs = visible_to(
        user, Contact.objects.select_related("account", "owner_user", "owner_team")
    )
    if filters is not None:
        qs = ContactFilter(filters, queryset=qs, user=user).qs
    return qs


def list_opportunities(*, user, filters=None) -> QuerySet[Opportunity]:
    """Opportunities the user may see, with customer and owner joined, narrowed by
    `filters`."""
    qs = visible_to(
        user,
        Opportunity.objects.select_related(
            "account", "contact", "owner_user", "owner_team"
        ),
    )
    if filters is not None:
        qs = OpportunityFilter(filters, queryset=qs, user=user).qs
    return qs


def filter_accounts(*, user, params) -> AccountFilter:
    """The account list as its page filters it: the user's accounts (list_accounts)
    narrowed by AccountFilter from `params` (a QueryDict). Returns the bound
    FilterSet: its .qs is the scoped, filtered queryset, its .errors the values it
    could not use (which the page ignores and the API refuses)."""
    return AccountFilter(params, queryset=list_accounts(user=user), user=user)


def filter_contacts(*, user, params) -> ContactFilter:
    """The contact list as its page filters it (see filter_accounts)."""
    return ContactFilter(params, queryset=list_contacts(user=user), user=user)


def filter_opportunities(*, user, params) -> OpportunityFilter:
    """The opportunity list as its page filters it (see filter_accounts); the
    page's default view (open deals) is the caller's to apply (with_defaults)."""
    return OpportunityFilter(params, queryset=list_opportunities(user=user), user=user)


# What a row of the opportunity list shows (accounts.presenters.opportunity_rows):
# the other columns are not read.
OPPORTUNITY_ROW_FIELDS = [
    "name",
    "estimated_value",
    "estimated_close_date",
    "state",
    "status",
    "sales_stage",
    "close_probability",
    "account",
    "account__name",
    "contact",
    "contact__first_name",
    "contact__last_name",
    "owner_user",
    "owner_user__username",
    "owner_user__first_name",
    "owner_user__last_name",
    "owner_team",
    "owner_team__name",
]


def opportunity_rows(queryset) -> QuerySet[Opportunity]:
    """`queryset` (from list_opportunities) narrowed to the columns a row shows."""
    return queryset.only(*OPPORTUNITY_ROW_FIELDS)


@dataclass(frozen=True)
class OpportunityTotals:
    """Sums over every opportunity of a list (not only the page shown); None past
    TOTALS_CAP of them (`capped`), as Dynamics 365 stops aggregating past its
    limit: the list then says to narrow it."""

    estimated_value: Decimal | None
    weighted_value: Decimal | None
    capped: bool = False


CENTS = Decimal("0.01")
# The most opportunities a list totals: the sums read at most this many rows plus
# one, so a page costs the same in a table of a million deals (the list's count
# stops at the same number).
TOTALS_CAP = COUNT_CAP


def opportunity_totals(queryset, cap: int | None = None) -> OpportunityTotals:
    """The estimated revenue of the opportunities in `queryset` (a list_opportunities
    result, so scoped to what the user may see and filtered) and the same weighted
    by each one's probability. One aggregate query over at most cap + 1 rows (a
    sliced subquery, counted too); no estimate counts as 0."""
    cap = TOTALS_CAP if cap is None else cap
    sums = queryset.order_by()[: cap + 1].aggregate(
        rows=Count("*"),
        estimated=Sum("estimated_value"),
        # Revenue x percent, divided by 100 below: SQLite would divide integers.
        weighted_percent=Sum(
            F("estimated_value") * F("close_probability"),
            output_field=DecimalField(max_digits=24, decimal_places=2),
        ),
    )
    if sums["rows"] > cap:
        return OpportunityTotals(None, None, capped=True)
    estimated = sums["estimated"] or Decimal(0)
    weighted = (sums["weighted_percent"] or Decimal(0)) / 100
    return OpportunityTotals(
        estimated_value=estimated.quantize(CENTS),
        weighted_value=weighted.quantize(CENTS),
    )


def get_account(*, user, pk) -> Account:
    """One visible account with what its page shows joined; DoesNotExist otherwise."""
    return (
        list_accounts(user=user)
        .select_related("business_unit", "parent_account", "primary_contact")
        .get(pk=pk)
    )


def get_contact(*, user, pk) -> Contact:
    """One visible contact with its account and owner joined; DoesNotExist otherwise."""
    return list_contacts(user=user).select_related("business_unit").get(pk=pk)


def get_opportunity(*, user, pk) -> Opportunity:
    """One visible opportunity with customer and owner joined; DoesNotExist otherwise."""
    return list_opportunities(user=user).select_related("business_unit").get(pk=pk)


def _visible_pks(user, model, pks) -> set[int]:
    pks = [pk for pk in pks if pk]
    if not pks:
        return set()
    return set(
        visible_to(user, model.objects.filter(pk__in=pks)).values_list("pk", flat=True)
    )


def _first(qs, limit=RELATED_LIMIT):
    """The first `limit` rows and whether there are more (one query)."""
    rows = list(qs[: limit + 1])
    return rows[:limit], len(rows) > limit


def account_detail_context(*, user, account: Account) -> dict:
    """What the account page shows besides the account: its visible contacts,
    opportunities and sub-accounts, and whether the linked parent account and
    primary contact are visible (linked) or only named."""
    contacts, more_contacts = _first(
        visible_to(user, account.contacts.select_related("owner_user", "owner_team"))
    )
    opportunities, more_opportunities = _first(
        visible_to(
            user,
            account.opportunities.select_related("contact", "owner_user", "owner_team"),
        )
    )
    subaccounts, more_subaccounts = _first(visible_to(user, account.subaccounts.all()))
    visible_accounts = _visible_pks(user, Account, [account.parent_account_id])
    visible_contacts = _visible_pks(user, Contact, [account.primary_contact_id])
    return {
        "contacts": contacts,
        "more_contacts": more_contacts,
        "opportunities": opportunities,
        "more_opportunities": more_opportunities,
        "subaccounts": subaccounts,
        "more_subaccounts": more_subaccounts,
        "parent_account_visible": account.parent_account_id in visible_accounts,
        "primary_contact_visible": account.primary_contact_id in visible_contacts,
    }


def contact_detail_context(*, user, contact: Contact) -> dict:
    """The contact's visible opportunities (as customer) and whether its account is
    visible to the user (linked) or only named."""
    opportunities, more_opportunities = _first(
        visible_to(
            user,
            contact.opportunities.select_related("account", "owner_user", "owner_team"),
        )
    )
    return {
        "opportunities": opportunities,
        "more_opportunities": more_opportunities,
        "account_visible": contact.account_id
        in _visible_pks(user, Account, [contact.account_id]),
    }


def list_opportunity_products(*, opportunity: Opportunity) -> list[OpportunityProduct]:
    """The opportunity's product lines with their products and `amount` (one query)."""
    lines = list(opportunity.product_lines.select_related("product"))
    for line in lines:
        line.amount = line.quantity * line.price_per_unit
    return lines


def list_active_products() -> QuerySet[Product]:
    """The catalog a product line may be chosen from."""
    return Product.objects.filter(is_active=True)


STAGE_TRANSITIONS = {"advance", "step_back"}


def list_transition_log(*, obj) -> list[dict]:
    """The state log of `obj` (oldest first): who, when, transition, from, to, why."""
    status_labels = dict(OpportunityStatus.choices)
    # The stage bar's moves are logged too, with stage numbers, not status codes.
    stage_labels = {
        value: gettext("Stage %(stage)s") % {"stage": text}
        for value, text in SalesStage.choices
    }

    def label(value, transition):
        labels = stage_labels if transition in STAGE_TRANSITIONS else status_labels
        try:
            return labels.get(int(value), value)
        except (TypeError, ValueError):
            return value

    return [
        {
            "timestamp": log.timestamp,
            "by": log.by,
            "transition": log.transition,
            "source": label(log.source_state, log.transition),
            "target": label(log.state, log.transition),
            "description": log.description or "",
        }
        for log in StateLog.objects.for_(obj)
        .select_related("by")
        .order_by("timestamp", "pk")
    ]


def opportunity_detail_context(*, user, opportunity: Opportunity) -> dict:
    """Product lines, the outcome transitions the user may take now, the transition
    history and whether the customer records are visible (linked) to the user."""
    visible_accounts = _visible_pks(user, Account, [opportunity.account_id])
    visible_contacts = _visible_pks(user, Contact, [opportunity.contact_id])
    lines = list_opportunity_products(opportunity=opportunity)
    return {
        "product_lines": lines,
        "product_total": sum((line.amount for line in lines), start=0),
        "transitions": sorted(
            opportunity.get_available_user_status_transitions(user),
            key=lambda t: TRANSITION_ORDER.get(t.name, 99),
        ),
        "history": list_transition_log(obj=opportunity),
        "account_visible": opportunity.account_id in visible_accounts,
        "contact_visible": opportunity.contact_id in visible_contacts,
    }


def autocomplete_accounts(*, user, q: str = "", partner: bool = False) -> list[Account]:
    """Up to AUTOCOMPLETE_LIMIT visible accounts whose name or email matches `q`."""
    qs = visible_to(user, Account.objects.only("pk", "name", "city"))
    if q:
        qs = qs.filter(search_q(q, ["name", "email"]))
    if partner:
        qs = qs.filter(is_partner=True)
    return list(qs.order_by("name", "pk")[:AUTOCOMPLETE_LIMIT])


def autocomplete_contacts(*, user, q: str = "") -> list[Contact]:
    """Up to AUTOCOMPLETE_LIMIT visible contacts whose name or email matches `q`."""
    qs = visible_to(user, Contact.objects.select_related("account"))
    if q:
        qs = qs.filter(search_q(q, ["first_name", "last_name", "email"]))
    return list(qs.order_by("last_name", "first_name", "pk")[:AUTOCOMPLETE_LIMIT])


# --- The organisation: what the pickers offer ------------------------------------------


def list_users(*, user) -> QuerySet[User]:
    """The people the pages' owner pickers offer `user` (assignable_users: active,
    in the user's scope of business units), each with `teams` prefetched: those of
    their teams that `user` may pick too (one more query for the whole list)."""
    teams = Team.objects.filter(pk__in=assignable_teams(user).values("pk")).only("pk")
    return (
        assignable_users(user)
        .only("pk", "username", "first_name", "last_name", "business_unit")
        .prefetch_related(Prefetch("teams", queryset=teams))
    )


def list_teams(*, user) -> QuerySet[Team]:
    """The teams the pages' owner pickers offer `user` (assignable_teams)."""
    return assignable_teams(user)


def list_business_units(*, user) -> QuerySet:
    """The business units in `user`'s scope, as the pages' unit filters offer them
    (visible_business_units)."""
    return visible_business_units(user)


def get_opportunity_product(
    *, opportunity: Opportunity, pk
) -> OpportunityProduct | None:
    """A product line of `opportunity` (with its product), or None if it is gone."""
    return opportunity.product_lines.select_related("product").filter(pk=pk).first()


def changes_context(*, user, record) -> dict:
    """{"changes": [...]} (the record's field history) for managers and
    administrators, {} for everyone else."""
    if not may_see_changes(user):
        return {}
    return {"changes": field_changes(record)}


# --- API tokens ------------------------------------------------------------------------


def list_api_tokens(*, user) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (nobody lists another user's tokens on
    the site; administrators use the Django admin)."""
    return ApiToken.objects.filter(user=user)


def get_api_token(*, user, pk) -> ApiToken:
    """One of the user's own tokens; ApiToken.DoesNotExist for anyone else's."""
    return ApiToken.objects.get(user=user, pk=pk)


def get_api_token_for_key(*, key: str) -> ApiToken | None:
    """The token a presented key belongs to (with its user), revoked or expired ones
    included, or None. The prefix finds the row; the secret's hash is compared in
    constant time."""
    parts = split_api_key(key)
    if parts is None:
        return None
    prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, hash_secret(secret)):
        return None
    return token


# --- Saved views (accounts/models/saved_views.py) --------------------------------------


def visible_saved_views(*, user) -> QuerySet[SavedView]:
    """Views `user` may open: own, shared with their team, unit (or one above) or
    everyone. A view is a query string: the list applies its viewer's scope."""
    return SavedView.objects.filter(
        Q(owner=user)
        | Q(visibility=Visibility.EVERYONE)
        | Q(visibility=Visibility.TEAM, team_id__in=team_ids(user))
        | Q(
            visibility=Visibility.BUSINESS_UNIT,
            business_unit_id__in=unit_and_ancestor_ids(user),
        )
    ).annotate(
        is_default=Exists(DefaultView.objects.filter(user=user, view=OuterRef("pk")))
    )


def list_saved_views(*, user, list_kind: str | None = None) -> list[SavedView]:
    """One query: the views of a list (or all) `user` may open, with is_default."""
    related = ("owner", "team", "business_unit")
    views = visible_saved_views(user=user).select_related(*related)
    if list_kind is not None:
        views = views.filter(list_kind=list_kind)
    return list(views.order_by("list_kind", "name", "pk"))


def get_saved_view(*, user, pk, own: bool = False) -> SavedView:
    """A view `user` may open (`own`: owns); DoesNotExist for others' personal ones."""
    return visible_saved_views(user=user).get(pk=pk, **({"owner": user} if own else {}))
