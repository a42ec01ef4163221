"""Duplicate detection for leads (on create/edit) and for qualification (matching
accounts and contacts).

Every record is checked, whoever owns it: a rep who enters a lead the manager
already has is told so. Matches in the user's scope come as records (shown with a
link); the others as HiddenMatch, which holds only the kind of record, why it
matches and its owner's name, so nothing of a record the user may not open can
reach a page. One query per kind of record, whatever the number of matches: the
scope is a column of the same query (with_scope), owners are joined.

Matches: same email (case-insensitive); same phone number by its digits
(leadsite.core.phones: the generated *_digits columns, "+1 (415) 555-9941" is
"415.555.9941"); same last name with the same normalised company name. Email and
phone are indexed lookups; the normalised comparisons run in Python on the small
candidate set.
"""

import re
from dataclasses import dataclass, field

from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext

from accounts.models import Account, Contact
from accounts.permissions import scope_q
from leads.models import Lead
from leadsite.core.phones import phone_digits, same_number, same_phone_q

CANDIDATE_LIMIT = 50
_LEGAL_SUFFIXES = {
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "llc",
    "llp",
    "plc",
    "corp",
    "corporation",
    "co",
    "company",
    "gmbh",
    "ag",
    "sa",
    "sarl",
    "bv",
    "nv",
    "oy",
    "ab",
    "srl",
    "spa",
    "pty",
}


def normalise_company(name: str) -> str:
    """Lower case, punctuation and legal suffixes dropped: "Contoso, Ltd." → "contoso"."""
    words = re.sub(r"[^\w\s]", " ", (name or "").lower()).split()
    while words and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def _email_variants(email: str) -> list[str]:
    email = (email or "").strip()
    if not email:
        return []
    return list(dict.fromkeys([email, email.lower()]))


def _name_variants(name: str) -> list[str]:
    name = (name or "").strip()
    if not name:
        return []
    return list(dict.fromkeys([name, name.lower(), name.title(), name.upper()]))


def _company_variants(name: str) -> list[str]:
    name = (name or "").strip()
    core = normalise_company(name)
    if not core:
        return []
    return list(
        dict.fromkeys([name, core, core.title(), core.upper(), *_name_variants(name)])
    )


# The digit columns of a lead's or a contact's two phones.
PHONE_DIGIT_COLUMNS = ["business_phone_digits", "mobile_phone_digits"]


@dataclass(frozen=True)
class HiddenMatch:
    """A matching record outside the user's scope: its kind ("lead", "account",
    "contact"), why it matches and who owns it. Nothing of the record itself."""

    kind: str
    reasons: tuple[str, ...]
    owner: str

    @property
    def reasons_text(self) -> str:
        return ", ".join(self.reasons)


def hidden_match(kind: str, record, reasons) -> HiddenMatch:
    """`record` (read with owner_user and owner_team) as a HiddenMatch."""
    owner = record.owner_user or record.owner_team
    return HiddenMatch(kind, tuple(reasons), str(owner) if owner else gettext("nobody"))


def scope_column(user, *, prefix: str = ""):
    """1 where the row (or the owned record at `prefix`) is in the user's scope,
    else 0: the gate's own condition (scope_q) as a column, so one query reads
    records of every owner and tells them apart."""
    condition = scope_q(user, prefix=prefix)
    if condition is None:
        return Value(1)
    return Case(When(condition, then=Value(1)), default=Value(0))


def with_scope(queryset, *, user, ordering, first=()):
    """`queryset` with its `in_scope` column (scope_column), ordered by `first`,
    then in-scope rows first, then `ordering`."""
    queryset = queryset.annotate(in_scope=scope_column(user))
    if scope_q(user) is None:
        return queryset.order_by(*first, *ordering)
    return queryset.order_by(*first, "-in_scope", *ordering)


@dataclass
class DuplicateLeads:
    """Leads that look like the one being entered: `leads` in the user's scope (each
    with `duplicate_reasons`), `elsewhere` the others as HiddenMatch."""

    leads: list[Lead] = field(default_factory=list)
    elsewhere: list[HiddenMatch] = field(default_factory=list)

    def __bool__(self):
        return bool(self.leads or self.elsewhere)

    @property
    def count(self) -> int:
        return len(self.leads) + len(self.elsewhere)


def _name_only(strong: Q):
    """0 for rows that meet `strong` (same email, phone or qualifying record),
    else 1."""
    if not strong:
        return Value(1)
    return Case(When(strong, then=Value(0)), default=Value(1))


def _phone_match(digits: str, *numbers: str) -> bool:
    return bool(digits) and any(same_number(digits, n) for n in numbers)


def find_duplicate_leads(
    *, user, email="", company_name="", last_name="", phone="", exclude_pk=None
) -> DuplicateLeads:
    """Leads of any owner that look like the same person: same email, same phone
    number (by digits), or same company (normalised) and last name.

    One query. At most CANDIDATE_LIMIT leads, those in the user's scope first,
    newest first; each in-scope lead carries a `duplicate_reasons` list ("same
    email", "same phone", "same company and last name"), the others come as
    HiddenMatch (reasons and owner only).
    """
    emails = _email_variants(email)
    phone_q = same_phone_q(PHONE_DIGIT_COLUMNS, phone)
    company = normalise_company(company_name)
    last_names = _name_variants(last_name) if company else []
    condition = Q()
    if emails:
        condition |= Q(email__iexact=email.strip())
    if phone_q is not None:
        condition |= phone_q
    if last_names:
        # Both in the query: a common last name alone would fill the candidate
        # limit and push a real match (same email) out. A name that normalises to
        # `company` contains each of its words.
        condition |= Q(
            last_name__in=last_names,
            company_name__icontains=max(company.split(), key=len),
        )
    if not condition:
        return DuplicateLeads()
    candidates = Lead.objects.filter(condition).select_related(
        "owner_user", "owner_team"
    )
    if exclude_pk:
        candidates = candidates.exclude(pk=exclude_pk)
    candidates = with_scope(candidates, user=user, ordering=["-created_at", "-id"])
    email_key = (email or "").strip().lower()
    digits = phone_digits(phone) if phone_q is not None else ""
    found = DuplicateLeads()
    for lead in candidates[:CANDIDATE_LIMIT]:
        reasons = []
        if email_key and lead.email.lower() == email_key:
            reasons.append(gettext("same email"))
        if _phone_match(digits, lead.business_phone_digits, lead.mobile_phone_digits):
            reasons.append(gettext("same phone"))
        if (
            company
            and lead.last_name.lower() == last_name.strip().lower()
            and normalise_company(lead.company_name) == company
        ):
            reasons.append(gettext("same company and last name"))
        if not reasons:
            continue
        if lead.in_scope:
            lead.duplicate_reasons = reasons
            found.leads.append(lead)
        else:
            found.elsewhere.append(hidden_match("lead", lead, reasons))
    return found


@dataclass
class CustomerMatches:
    """Accounts and contacts that may already be the lead's customer: those in the
    user's scope (to link), and the others as HiddenMatch."""

    accounts: list[Account] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    elsewhere: list[HiddenMatch] = field(default_factory=list)

    def __bool__(self):
        return bool(self.accounts or self.contacts or self.elsewhere)


def find_matching_accounts_contacts(*, user, lead: Lead) -> CustomerMatches:
    """Accounts and contacts of any owner that match the lead, for qualification.

    Accounts: same email, same phone number (by digits), or same normalised company
    name. Contacts: same email, same phone number, or same last name at an account
    with the same company name. In-scope ones carry `match_reasons` (the lead's own
    qualifying records, kept after a reactivation, first); the others come in
    `elsewhere` as HiddenMatch. Two queries.
    """
    emails = _email_variants(lead.email)
    numbers = [phone_digits(lead.business_phone), phone_digits(lead.mobile_phone)]
    company = normalise_company(lead.company_name)
    email_key = lead.email.strip().lower()
    elsewhere = []

    account_q = Q(pk=lead.qualifying_account_id) if lead.qualifying_account_id else Q()
    if emails:
        account_q |= Q(email__iexact=email_key)
    for number in numbers:
        phone_q = same_phone_q(["phone_digits"], number)
        if phone_q is not None:
            account_q |= phone_q
    strong = account_q
    if company:
        # istartswith also finds "Contoso Ltd" for "Contoso"; the account table is
        # far smaller than the lead table.
        account_q |= Q(name__in=_company_variants(lead.company_name)) | Q(
            name__istartswith=company
        )
    accounts = []
    if account_q:
        qs = with_scope(
            Account.objects.filter(account_q)
            .select_related("owner_user", "owner_team")
            .annotate(by_name_only=_name_only(strong)),
            user=user,
            # Accounts found by their name only come last: a common word in
            # company names cannot push a same-email account out of the limit.
            first=["by_name_only"],
            ordering=["name", "pk"],
        )
        for account in qs[:CANDIDATE_LIMIT]:
            reasons = []
            if account.pk == lead.qualifying_account_id:
                reasons.append(gettext("created from this lead"))
            if email_key and account.email.lower() == email_key:
                reasons.append(gettext("same email"))
            if _phone_match(account.phone_digits, *numbers):
                reasons.append(gettext("same phone"))
            if company and normalise_company(account.name) == company:
                reasons.append(gettext("same company name"))
            if not reasons:
                continue
            if account.in_scope:
                account.match_reasons = reasons
                accounts.append(account)
            else:
                elsewhere.append(hidden_match("account", account, reasons))
    accounts.sort(key=lambda a: a.pk != lead.qualifying_account_id)

    contact_q = Q(pk=lead.qualifying_contact_id) if lead.qualifying_contact_id else Q()
    if emails:
        contact_q |= Q(email__iexact=email_key)
    for number in numbers:
        phone_q = same_phone_q(PHONE_DIGIT_COLUMNS, number)
        if phone_q is not None:
            contact_q |= phone_q
    if company and lead.last_name:
        contact_q |= Q(last_name__in=_name_variants(lead.last_name)) & Q(
            account__name__in=_company_variants(lead.company_name)
        )
    contacts = []
    if contact_q:
        qs = with_scope(
            Contact.objects.filter(contact_q).select_related(
                "account", "owner_user", "owner_team"
            ),
            user=user,
            ordering=["last_name", "first_name", "pk"],
        )
        for contact in qs[:CANDIDATE_LIMIT]:
            reasons = []
            if contact.pk == lead.qualifying_contact_id:
                reasons.append(gettext("created from this lead"))
            if email_key and contact.email.lower() == email_key:
                reasons.append(gettext("same email"))
            if any(
                _phone_match(
                    n, contact.business_phone_digits, contact.mobile_phone_digits
                )
                for n in numbers
            ):
                reasons.append(gettext("same phone"))
            if (
                company
                and contact.account
                and contact.last_name.lower() == lead.last_name.lower()
                and normalise_company(contact.account.name) == company
            ):
                reasons.append(gettext("same company and last name"))
            if not reasons:
                continue
            if contact.in_scope:
                contact.match_reasons = reasons
                contacts.append(contact)
            else:
                elsewhere.append(hidden_match("contact", contact, reasons))
    contacts.sort(key=lambda c: c.pk != lead.qualifying_contact_id)
    return CustomerMatches(accounts=accounts, contacts=contacts, elsewhere=elsewhere)
