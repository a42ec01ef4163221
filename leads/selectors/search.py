"""Global search (the top bar): leads, accounts, contacts and opportunities in the
user's scope, grouped by kind.

Constant queries: one per kind, each LIMIT n + 1 (the extra row says "more"). Leads are
matched with the lead list's own search (LeadFilter.q: every word in last name, first
name, company or email, icontains), which the PostgreSQL trigram indexes of migration
0003 serve on a million rows. A query that looks like a phone number matches phone
numbers by their digits instead, whatever the formatting on either side
(leadsite.core.phones: the generated *_digits columns; trigram indexes of leads
0014_lead_phone_digits on PostgreSQL).
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext

from accounts.filters import search_q
from accounts.models import Account, Contact, Opportunity
from accounts.permissions import visible_to
from leads.models import Lead
from leads.selectors.leads import filter_leads
from leadsite.core.phones import looks_like_phone, phone_digits, phone_search_q

LIMIT = 8
MIN_LENGTH = 2
MAX_LENGTH = 100
# A phone query of at least this many digits is matched anywhere in the number
# (contains); a longer one also finds its national form (leadsite.core.phones).
PHONE_MIN_DIGITS = 4


@dataclass
class Group:
    kind: str
    label: str
    rows: list
    more: bool
    more_url: str


@dataclass
class SearchResults:
    q: str
    groups: list = field(default_factory=list)

    @property
    def total_shown(self):
        return sum(len(group.rows) for group in self.groups)


def clean_query(value: str) -> str:
    # NUL cannot reach a PostgreSQL text parameter; a tampered one is dropped.
    return (value or "").replace("\x00", "").strip()[:MAX_LENGTH]


def _split(rows, limit):
    return rows[:limit], len(rows) > limit


def _params(**values):
    params = QueryDict(mutable=True)
    params.update(values)
    return params


def global_search(*, user, q: str, limit: int = LIMIT) -> SearchResults:
    """Up to `limit` visible records of each kind matching `q` by name, company, email
    or phone; nothing for a query shorter than MIN_LENGTH."""
    q = clean_query(q)
    results = SearchResults(q=q)
    if len(q) < MIN_LENGTH:
        return results
    # ("0000" looks like a phone number but has no digits once leading zeros go.)
    phone = looks_like_phone(q) and len(phone_digits(q)) >= PHONE_MIN_DIGITS

    def phone_q(*fields):
        return phone_search_q(list(fields), q, min_digits=PHONE_MIN_DIGITS)

    if phone:
        leads_qs = (
            visible_to(user, Lead.objects.all())
            .filter(phone_q("business_phone_digits", "mobile_phone_digits"))
            .order_by("-created_at", "-id")
        )
    else:
        leads_qs = filter_leads(user=user, params=_params(view="all", q=q)).qs
    leads_qs = leads_qs.select_related("owner_user", "owner_team")
    rows, more = _split(list(leads_qs[: limit + 1]), limit)
    results.groups.append(
        Group(
            "lead",
            gettext("Leads"),
            rows,
            more,
            f"/leads/?{_params(view='all', q=q).urlencode()}",
        )
    )

    accounts = visible_to(user, Account.objects.all()).filter(
        phone_q("phone_digits") if phone else search_q(q, ["name", "email"])
    )
    rows, more = _split(list(accounts.order_by("name", "pk")[: limit + 1]), limit)
    results.groups.append(
        Group(
            "account",
            gettext("Accounts"),
            rows,
            more,
            f"/accounts/?{_params(q=q).urlencode()}",
        )
    )

    if phone:
        contact_q = phone_q("business_phone_digits", "mobile_phone_digits")
    else:
        contact_q = search_q(q, ["first_name", "last_name", "email", "account__name"])
    contacts = (
        visible_to(user, Contact.objects.select_related("account"))
        .filter(contact_q)
        .order_by("last_name", "first_name", "pk")
    )
    rows, more = _split(list(contacts[: limit + 1]), limit)
    results.groups.append(
        Group(
            "contact",
            gettext("Contacts"),
            rows,
            more,
            f"/contacts/?{_params(q=q).urlencode()}",
        )
    )

    if phone:
        # Through the accounts and contacts with the number (their digit indexes),
        # not a join filtered row by row.
        opportunity_q = Q(
            account__in=Account.objects.filter(phone_q("phone_digits")).values("pk")
        ) | Q(
            contact__in=Contact.objects.filter(
                phone_q("business_phone_digits", "mobile_phone_digits")
            ).values("pk")
        )
    else:
        opportunity_q = search_q(q, ["name", "account__name", "contact__last_name"])
    opportunities = (
        visible_to(user, Opportunity.objects.select_related("account", "contact"))
        .filter(opportunity_q)
        .order_by("-modified_at", "-pk")
    )
    rows, more = _split(list(opportunities[: limit + 1]), limit)
    results.groups.append(
        Group(
            "opportunity",
            gettext("Opportunities"),
            rows,
            more,
            f"/opportunities/?{_params(q=q).urlencode()}",
        )
    )
    return results
