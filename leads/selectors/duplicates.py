"""Duplicate detection for leads (on create/edit) and for qualification (matching
accounts and contacts). Scoped with the gate: a user is never told about records
they may not see.

Matches: same email (case-insensitive); same phone (as typed or digits only); same
last name with the same normalised company name. Phone and name queries are exact
matches on a few spellings (indexed columns); email is case-insensitive (an
UPPER() comparison); the normalised comparisons run in Python on the small
candidate set.
"""

import re
from dataclasses import dataclass, field

from django.db.models import Q

from accounts.models import Account, Contact
from leads.models import Lead
from leadsite.permissions import visible_to

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


def _phone_variants(phone: str) -> list[str]:
    phone = (phone or "").strip()
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 6:
        return []
    return list(dict.fromkeys([phone, digits, "+" + digits]))


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


def find_duplicate_leads(
    *, user, email="", company_name="", last_name="", phone="", exclude_pk=None
) -> list[Lead]:
    """Leads the user can see that look like the same person.

    Returns at most CANDIDATE_LIMIT leads, newest first, each with a
    `duplicate_reasons` list ("same email", "same phone", "same company and last
    name").
    """
    emails = _email_variants(email)
    phones = _phone_variants(phone)
    company = normalise_company(company_name)
    last_names = _name_variants(last_name) if company else []
    condition = Q()
    if emails:
        condition |= Q(email__iexact=email.strip())
    if phones:
        condition |= Q(business_phone__in=phones) | Q(mobile_phone__in=phones)
    if last_names:
        condition |= Q(last_name__in=last_names)
    if not condition:
        return []
    candidates = visible_to(
        user,
        Lead.objects.filter(condition).select_related("owner_user", "owner_team"),
    )
    if exclude_pk:
        candidates = candidates.exclude(pk=exclude_pk)
    email_key = (email or "").strip().lower()
    phone_digits = re.sub(r"\D", "", phone or "")
    found = []
    for lead in candidates.order_by("-created_at", "-id")[:CANDIDATE_LIMIT]:
        reasons = []
        if email_key and lead.email.lower() == email_key:
            reasons.append("same email")
        if phones and phone_digits in {
            re.sub(r"\D", "", lead.business_phone),
            re.sub(r"\D", "", lead.mobile_phone),
        }:
            reasons.append("same phone")
        if (
            company
            and lead.last_name.lower() == last_name.strip().lower()
            and normalise_company(lead.company_name) == company
        ):
            reasons.append("same company and last name")
        if reasons:
            lead.duplicate_reasons = reasons
            found.append(lead)
    return found


@dataclass
class CustomerMatches:
    """Accounts and contacts that may already be the lead's customer."""

    accounts: list[Account] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)

    def __bool__(self):
        return bool(self.accounts or self.contacts)


def find_matching_accounts_contacts(*, user, lead: Lead) -> CustomerMatches:
    """Visible accounts and contacts that match the lead, for qualification.

    Accounts: same email, same phone, or same normalised company name. Contacts: same
    email, same phone, or same last name at an account with the same company name.
    Each carries `match_reasons`. The lead's own qualifying records (kept after a
    reactivation) come first.
    """
    emails = _email_variants(lead.email)
    phones = [
        *_phone_variants(lead.business_phone),
        *_phone_variants(lead.mobile_phone),
    ]
    company = normalise_company(lead.company_name)
    phone_digits = {re.sub(r"\D", "", p) for p in phones}
    email_key = lead.email.strip().lower()

    account_q = Q(pk=lead.qualifying_account_id) if lead.qualifying_account_id else Q()
    if emails:
        account_q |= Q(email__iexact=email_key)
    if phones:
        account_q |= Q(phone__in=phones)
    if company:
        # istartswith also finds "Contoso Ltd" for "Contoso"; the account table is
        # far smaller than the lead table.
        account_q |= Q(name__in=_company_variants(lead.company_name)) | Q(
            name__istartswith=company
        )
    accounts = []
    if account_q:
        qs = visible_to(user, Account.objects.filter(account_q)).order_by("name", "pk")
        for account in qs[:CANDIDATE_LIMIT]:
            reasons = []
            if account.pk == lead.qualifying_account_id:
                reasons.append("created from this lead")
            if email_key and account.email.lower() == email_key:
                reasons.append("same email")
            if phones and re.sub(r"\D", "", account.phone) in phone_digits:
                reasons.append("same phone")
            if company and normalise_company(account.name) == company:
                reasons.append("same company name")
            if reasons:
                account.match_reasons = reasons
                accounts.append(account)
    accounts.sort(key=lambda a: a.pk != lead.qualifying_account_id)

    contact_q = Q(pk=lead.qualifying_contact_id) if lead.qualifying_contact_id else Q()
    if emails:
        contact_q |= Q(email__iexact=email_key)
    if phones:
        contact_q |= Q(business_phone__in=phones) | Q(mobile_phone__in=phones)
    if company and lead.last_name:
        contact_q |= Q(last_name__in=_name_variants(lead.last_name)) & Q(
            account__name__in=_company_variants(lead.company_name)
        )
    contacts = []
    if contact_q:
        qs = visible_to(
            user, Contact.objects.filter(contact_q).select_related("account")
        ).order_by("last_name", "first_name", "pk")
        for contact in qs[:CANDIDATE_LIMIT]:
            reasons = []
            if contact.pk == lead.qualifying_contact_id:
                reasons.append("created from this lead")
            if email_key and contact.email.lower() == email_key:
                reasons.append("same email")
            if phones and phone_digits & {
                re.sub(r"\D", "", contact.business_phone),
                re.sub(r"\D", "", contact.mobile_phone),
            }:
                reasons.append("same phone")
            if (
                company
                and contact.account
                and contact.last_name.lower() == lead.last_name.lower()
                and normalise_company(contact.account.name) == company
            ):
                reasons.append("same company and last name")
            if reasons:
                contact.match_reasons = reasons
                contacts.append(contact)
    contacts.sort(key=lambda c: c.pk != lead.qualifying_contact_id)
    return CustomerMatches(accounts=accounts, contacts=contacts)
