"""Finding a person: the leads and contacts that are them, found by email address
or from one record, and the values (needles) their records held.

The privacy pages reach every record, whoever owns it: answering an access request
or erasing someone is the privacy officer's job across the organisation. The
gate is the role (accounts.permissions.is_privacy_officer), checked by the views.
"""

from dataclasses import dataclass, field

from django.db.models import Q

from accounts.models import Contact
from leads.models import EmailMessage, InboundMessage, InboundOutcome, Lead
from privacy.scrub import Needles

# Lead and contact fields whose values find the person elsewhere.
NAME_FIELDS = ["first_name", "last_name"]
PHONE_FIELDS = ["business_phone", "mobile_phone"]


@dataclass
class Subject:
    """The records of one person: the leads and contacts an access export reads and
    an erasure erases, in id order."""

    leads: list = field(default_factory=list)
    contacts: list = field(default_factory=list)

    @property
    def lead_ids(self) -> list[int]:
        return sorted(lead.pk for lead in self.leads)

    @property
    def contact_ids(self) -> list[int]:
        return sorted(contact.pk for contact in self.contacts)

    @property
    def records(self) -> list:
        return [*self.leads, *self.contacts]

    def __bool__(self):
        return bool(self.leads or self.contacts)

    @property
    def label(self) -> str:
        """Whom the records name (the first record's name and email)."""
        for record in self.records:
            name = record.full_name or record.last_name
            return f"{name} <{record.email}>" if record.email else name
        return ""


def _leads():
    return Lead.objects.select_related(
        "owner_user", "owner_team", "business_unit", "campaign"
    ).order_by("pk")


def _contacts():
    return Contact.objects.select_related(
        "owner_user", "owner_team", "business_unit", "account"
    ).order_by("pk")


def find_by_email(email: str) -> Subject:
    """Every lead and contact that holds `email` now or held it once (its change
    history), and the leads whose mail came from it (inbound messages and
    emails received on them). Case-insensitive; nothing for a blank address."""
    email = (email or "").strip()
    if not email:
        return Subject()
    lead_ids = set(
        Lead.history.filter(email__iexact=email).values_list("id", flat=True)
    )
    lead_ids |= set(
        InboundMessage.objects.filter(
            sender__iexact=email, lead__isnull=False
        ).values_list("lead_id", flat=True)
    )
    received = EmailMessage.objects.filter(from_address__icontains=email)
    lead_ids |= set(
        received.filter(lead__isnull=False).values_list("lead_id", flat=True)
    )
    contact_ids = set(
        Contact.history.filter(email__iexact=email).values_list("id", flat=True)
    )
    contact_ids |= set(
        received.filter(contact__isnull=False).values_list("contact_id", flat=True)
    )
    return Subject(
        leads=list(_leads().filter(Q(email__iexact=email) | Q(pk__in=lead_ids))),
        contacts=list(
            _contacts().filter(Q(email__iexact=email) | Q(pk__in=contact_ids))
        ),
    )


def get_lead(pk) -> Lead:
    """Any lead (Lead.DoesNotExist when there is none)."""
    return _leads().get(pk=pk)


def get_contact(pk) -> Contact:
    """Any contact (Contact.DoesNotExist when there is none)."""
    return _contacts().get(pk=pk)


def same_person(record) -> Subject:
    """Other records that are likely the same person as `record` (a lead or a
    contact): the contact its qualification made (or the leads that made a
    contact), its "existing contact", and every lead and contact with the same
    email address. The privacy pages offer them beside the record."""
    leads, contacts = Q(pk__in=[]), Q(pk__in=[])
    if isinstance(record, Lead):
        linked = [record.qualifying_contact_id, record.parent_contact_id]
        contacts |= Q(pk__in=[pk for pk in linked if pk])
        leads_exclude, contacts_exclude = [record.pk], []
    else:
        leads |= Q(qualifying_contact=record) | Q(parent_contact=record)
        leads_exclude, contacts_exclude = [], [record.pk]
    if record.email:
        leads |= Q(email__iexact=record.email)
        contacts |= Q(email__iexact=record.email)
    return Subject(
        leads=list(_leads().filter(leads).exclude(pk__in=leads_exclude)),
        contacts=list(_contacts().filter(contacts).exclude(pk__in=contacts_exclude)),
    )


def subject_for(*, lead_ids=(), contact_ids=()) -> Subject:
    """The records with these ids (missing ones left out)."""
    return Subject(
        leads=list(_leads().filter(pk__in=list(lead_ids))),
        contacts=list(_contacts().filter(pk__in=list(contact_ids))),
    )


def _values(rows, names) -> set[str]:
    return {str(row[name]) for row in rows for name in names if row.get(name)}


def subject_needles(subject: Subject) -> Needles:
    """The names, email addresses and phone numbers the subject's records hold or
    held (their change history), and the addresses their mail came from."""
    fields = [*NAME_FIELDS, "email", *PHONE_FIELDS]
    rows = []
    if subject.leads:
        rows += list(Lead.history.filter(id__in=subject.lead_ids).values(*fields))
        rows += list(Lead.objects.filter(pk__in=subject.lead_ids).values(*fields))
        rows += [
            {"email": sender}
            # Mail that made the lead or joined it came from the person's address
            # (a reply may come from a colleague: not theirs).
            for sender in InboundMessage.objects.filter(
                lead_id__in=subject.lead_ids,
                outcome__in=[InboundOutcome.LEAD_CREATED, InboundOutcome.JOINED_LEAD],
            ).values_list("sender", flat=True)
        ]
    if subject.contacts:
        ids = subject.contact_ids
        rows += list(Contact.history.filter(id__in=ids).values(*fields))
        rows += list(Contact.objects.filter(pk__in=ids).values(*fields))
    full_names = {
        " ".join(p for p in (row.get("first_name"), row.get("last_name")) if p)
        for row in rows
    }
    return Needles.collect(
        names=_values(rows, NAME_FIELDS),
        full_names=full_names,
        emails={e.lower() for e in _values(rows, ["email"])},
        phones=_values(rows, PHONE_FIELDS),
    )
