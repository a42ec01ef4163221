"""Reads for email from the record: who an email to a record goes to (and whether
the person may be emailed), the placeholders of templates and how they are filled,
the templates a sender picks from, and an email found through the scope gate.

Placeholders are a fixed set, written {{ name }} (spaces optional) in a template's
or a message's subject and body; nothing else of Django's template language is
read, so a template cannot reach any other data. An unknown name is an error where
the text is written (the template admin, the compose form)."""

import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact, Opportunity
from leads.models import Direction, EmailMessage, EmailState, EmailTemplate, Lead
from leads.selectors.timeline import visible_timeline_items

# name -> what it is filled with (the template admin's help and README).
PLACEHOLDERS = {
    "first_name": _("the person's first name"),
    "last_name": _("the person's last name"),
    "full_name": _("the person's full name"),
    "company": _("the person's company (a lead's company, a contact's account)"),
    "owner_name": _("the record's owner (a user or a team)"),
    "signature": _("the sender's signature (your settings; your name when empty)"),
}
PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def unknown_placeholders(text: str) -> list[str]:
    """The {{ ... }} names in `text` that are not placeholders, in order, once."""
    unknown = []
    for match in PLACEHOLDER_RE.finditer(text or ""):
        name = match.group(1)
        if name not in PLACEHOLDERS and name not in unknown:
            unknown.append(name)
    return unknown


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """`text` with every known placeholder replaced by its value (an unknown one is
    left as written; the forms refuse it before it gets here)."""
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text or "")


@dataclass(frozen=True)
class Recipient:
    """Who an email from a record goes to. `refusal` says why none may be sent."""

    address: str
    name: str
    refusal: str = ""


def _person(record) -> Lead | Contact | None:
    """The person an email to `record` is written to: the lead or contact itself,
    an account's primary contact, an opportunity's customer contact."""
    if isinstance(record, (Lead, Contact)):
        return record
    if isinstance(record, Account):
        return record.primary_contact
    return record.contact


def email_recipient(record) -> Recipient:
    """The address an email from `record` goes to, and the refusal when it cannot.

    A lead or contact: its own address, refused when it is marked "do not allow
    email". An account: the account's email address (a company mailbox; the
    account has no do-not-email flag of its own). An opportunity: its customer
    contact's address, refused when that contact is marked do-not-email; with no
    contact (or one without an address), its customer account's address."""
    if isinstance(record, Opportunity):
        contact = record.contact
        if contact is not None and (contact.email or contact.do_not_email):
            return email_recipient(contact)
        if record.account is not None:
            return email_recipient(record.account)
        return Recipient(
            "", "", gettext("This opportunity has no customer email address.")
        )
    if isinstance(record, Account):
        if not record.email:
            return Recipient(
                "", record.name, gettext("This account has no email address.")
            )
        return Recipient(record.email, record.name)
    name = record.full_name
    is_lead = isinstance(record, Lead)
    if record.do_not_email:
        return Recipient(
            record.email,
            name,
            gettext(
                "This lead does not allow email (“Do not allow email” is set). "
                "Clear the flag on the lead first."
            )
            if is_lead
            else gettext(
                "This contact does not allow email (“Do not allow email” is set). "
                "Clear the flag on the contact first."
            ),
        )
    if not record.email:
        return Recipient(
            "",
            name,
            gettext("This lead has no email address.")
            if is_lead
            else gettext("This contact has no email address."),
        )
    return Recipient(record.email, name)


def _company(record) -> str:
    if isinstance(record, Lead):
        return record.company_name
    if isinstance(record, Account):
        return record.name
    if isinstance(record, Opportunity):
        account = record.account or (record.contact and record.contact.account)
        return account.name if account else ""
    return record.account.name if record.account_id else ""


def placeholder_values(*, record, sender) -> dict[str, str]:
    """What each placeholder means for an email from `sender` on `record`."""
    person = _person(record)
    signature = (sender.email_signature or "").strip() or str(sender)
    return {
        "first_name": person.first_name if person else "",
        "last_name": person.last_name if person else "",
        "full_name": person.full_name if person else str(record),
        "company": _company(record),
        "owner_name": str(record.owner or ""),
        "signature": signature,
    }


@dataclass(frozen=True)
class Draft:
    """An email as it will be sent: placeholders filled for its record."""

    recipient: Recipient
    subject: str
    body: str


def draft_email(*, record, sender, subject: str, body: str) -> Draft:
    """The message `sender` would send from `record` (the preview, and what the
    send service stores): subject and body with the placeholders filled."""
    values = placeholder_values(record=record, sender=sender)
    subject = " ".join(fill_placeholders(subject, values).split())
    return Draft(email_recipient(record), subject, fill_placeholders(body, values))


def list_active_templates() -> list[EmailTemplate]:
    """The templates a sender picks from, by name."""
    return list(EmailTemplate.objects.filter(is_active=True).order_by("name"))


def get_active_template(*, pk) -> EmailTemplate:
    """An active template (EmailTemplate.DoesNotExist otherwise)."""
    return EmailTemplate.objects.get(pk=pk, is_active=True)


def record_emails(*, record, limit: int) -> list[EmailMessage]:
    """The newest `limit` emails on `record` (found through the gate already)."""
    field = record._meta.model_name
    rows = EmailMessage.objects.filter(**{field: record}).order_by("-created_at", "-id")
    return list(rows[:limit])


def get_email(*, pk: int, user) -> EmailMessage:
    """An email on a record the user may see (EmailMessage.DoesNotExist otherwise),
    with its record joined."""
    emails = EmailMessage.objects.select_related(
        "lead", "account", "contact", "opportunity"
    )
    return visible_timeline_items(user=user, queryset=emails).get(pk=pk)


def get_email_for_sending(*, pk: int) -> EmailMessage:
    """The worker's read of one email: its record and its sender joined."""
    return EmailMessage.objects.select_related(
        "activity", "created_by", "lead", "account", "contact", "opportunity"
    ).get(pk=pk)


def due_email_ids(*, now, hold) -> list[int]:
    """Outgoing emails waiting to be sent at `now`: queued, not claimed by a worker
    (or claimed longer than `hold` ago: a dead worker's), next attempt due; oldest
    first (the periodic sweep)."""
    return list(
        EmailMessage.objects.filter(
            state=EmailState.QUEUED, direction=Direction.OUTGOING
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - hold))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("queued_at", "id")
        .values_list("pk", flat=True)[:500]
    )
