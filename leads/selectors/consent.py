"""Reads for consent: the purposes, whose consent an email needs and whether it was
given (the check before every send), and the record page's consent panel.

Only a given consent counts: one awaiting its double opt-in confirmation, a
withdrawn one, or none at all refuses an email sent for that purpose."""

from dataclasses import dataclass

from django.db import router
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import Account, Contact, Opportunity
from leads.imports.rows import consent_target
from leads.models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentState,
    ConsentStatus,
    Lead,
)
from leadsite.core.compiled import CompiledOnce

# Events the record page's history shows.
HISTORY_SIZE = 20


def list_active_purposes():
    """The purposes users and forms may choose, by name."""
    return ConsentPurpose.objects.filter(is_active=True).order_by("name")


def get_active_purpose(*, pk) -> ConsentPurpose:
    """An active purpose (ConsentPurpose.DoesNotExist otherwise)."""
    return ConsentPurpose.objects.get(pk=pk, is_active=True)


def purposes_by_code() -> dict[str, ConsentPurpose]:
    """Every active purpose by its code (imports map columns to them)."""
    return {purpose.code: purpose for purpose in list_active_purposes()}


def person_kwargs(person) -> dict:
    """The lead= or contact= filter of a person's consent rows."""
    if isinstance(person, Lead):
        return {"lead": person}
    if isinstance(person, Contact):
        return {"contact": person}
    raise TypeError(f"Consent belongs to a lead or contact, not {type(person)}.")


def consent_person(record) -> Lead | Contact | None:
    """Whose consent an email from `record` needs: the person it goes to, as
    leads.selectors.emails.email_recipient picks the address. A lead or contact
    itself; an opportunity's customer contact when the email goes to that contact.
    None when the email goes to a company address (an account, or an opportunity
    without a contact), which no person's consent covers."""
    if isinstance(record, (Lead, Contact)):
        return record
    if isinstance(record, Opportunity):
        contact = record.contact
        if contact is not None and (contact.email or contact.do_not_email):
            return contact
        return None
    if isinstance(record, Account):
        return None
    return None


def get_state(*, person, purpose) -> ConsentState | None:
    """The person's current consent to `purpose`, or None when never recorded."""
    return ConsentState.objects.filter(purpose=purpose, **person_kwargs(person)).first()


def has_consent(*, person, purpose) -> bool:
    """Whether the person's consent to `purpose` is given now (awaiting
    confirmation does not count)."""
    return ConsentState.objects.filter(
        purpose=purpose, status=ConsentStatus.GIVEN, **person_kwargs(person)
    ).exists()


def _date(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def consent_refusal(*, record, purpose) -> str:
    """Why an email for `purpose` may not go to the person of `record`; "" when it
    may (no purpose, or the person's consent to it is given)."""
    if purpose is None:
        return ""
    person = consent_person(record)
    if person is None:
        return _(
            "This email is for “%(purpose)s”, which needs a person's consent, but it "
            "goes to a company address. Send it to a contact instead."
        ) % {"purpose": purpose}
    state = get_state(person=person, purpose=purpose)
    values = {"name": person.full_name or person.email, "purpose": purpose}
    if state is None:
        return (
            _(
                "%(name)s has not consented to “%(purpose)s”. Record their consent "
                "first, or send the email without this purpose."
            )
            % values
        )
    values["date"] = _date(state.since)
    if state.status == ConsentStatus.WITHDRAWN:
        return (
            _("%(name)s withdrew their consent to “%(purpose)s” on %(date)s.") % values
        )
    if state.status == ConsentStatus.PENDING:
        return (
            _(
                "%(name)s has not confirmed their consent to “%(purpose)s” yet "
                "(asked on %(date)s)."
            )
            % values
        )
    return ""


@dataclass(frozen=True)
class PurposeRow:
    """One purpose on the consent panel: its current state (None: never recorded)."""

    purpose: ConsentPurpose
    state: ConsentState | None


@dataclass(frozen=True)
class ConsentPanel:
    rows: list[PurposeRow]
    unconfirmed: list[ConsentState]
    # Whether the person has a consent log (loaded when "Consent history" opens).
    has_history: bool


# What the panel shows of a state and its latest event: how, when, by whom, which
# wording (the form's and the import's names only; none of their other columns,
# such as an import's mapping, is read).
PANEL_FIELDS = [
    "purpose_id",
    "status",
    "since",
    "confirmation_sent_at",
    "unconfirmed_at",
    "event__method",
    "event__wording",
    "event__wording_version",
    "event__note",
    "event__recorded_by__username",
    "event__recorded_by__first_name",
    "event__recorded_by__last_name",
    "event__capture_form__name",
    "event__import_batch__original_name",
]


def _panel_states(kind, person_id):
    return (
        ConsentState.objects.filter(**{f"{kind}_id": person_id})
        .order_by()
        .select_related(
            "event",
            "event__recorded_by",
            "event__capture_form",
            "event__import_batch",
        )
        .only(*PANEL_FIELDS)
    )


# Built and compiled once per kind of person (leadsite.core.compiled): the
# deferred fields and four joins took longer to build than to read.
_PANEL_STATES = CompiledOnce(_panel_states)


def consent_panel(*, person) -> ConsentPanel:
    """The record page's consent panel for a lead or contact (found through the
    scope gate already): every active purpose with its state, and purposes switched
    off since they were recorded. One query for the purposes; one more for the
    states, unless `person` was read with a has_consent_events flag that says there
    are none (a state always has its event: leads.selectors.leads.
    get_lead_for_detail). The log and the form to record consent are read when
    their disclosures open (consent_history, the record view)."""
    states = {}
    if getattr(person, "has_consent_events", True):
        kind = next(iter(person_kwargs(person)))
        states = {
            state.purpose_id: state
            for state in _PANEL_STATES.objects(
                router.db_for_read(ConsentState), kind, [person.pk]
            )
        }
    # Few purposes (an administrator's list): all of them, by name, in one read
    # that also gives the states their purpose.
    purposes = list(ConsentPurpose.objects.order_by("name", "id"))
    by_pk = {purpose.pk: purpose for purpose in purposes}
    for state in states.values():
        state.purpose = by_pk[state.purpose_id]
    rows = [
        PurposeRow(purpose, states.get(purpose.pk))
        for purpose in purposes
        if purpose.is_active or purpose.pk in states
    ]
    unconfirmed = [
        row.state for row in rows if row.state is not None and row.state.unconfirmed
    ]
    return ConsentPanel(rows, unconfirmed, has_history=bool(states))


def consent_history(*, person) -> list[ConsentEvent]:
    """The latest HISTORY_SIZE events of the person's consent log, newest first
    (the panel's "Consent history", loaded when it opens). One query."""
    return list(
        ConsentEvent.objects.filter(**person_kwargs(person))
        .select_related("purpose", "recorded_by", "capture_form", "import_batch")
        .order_by("-recorded_at", "-id")[:HISTORY_SIZE]
    )


def pending_events(*, event_ids) -> list[ConsentEvent]:
    """Pending events (the double opt-in email's subject), with their person."""
    return list(
        ConsentEvent.objects.filter(pk__in=event_ids, status=ConsentStatus.PENDING)
        .select_related("purpose", "lead", "contact", "capture_form")
        .order_by("id")
    )


def consent_import_targets() -> list[tuple[str, str]]:
    """The import mapping's consent choices: one per active purpose."""
    return [
        (
            consent_target(purpose.code),
            _("Consent: %(purpose)s (yes: given, no: withdrawn)")
            % {"purpose": purpose},
        )
        for purpose in list_active_purposes()
    ]
