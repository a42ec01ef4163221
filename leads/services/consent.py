"""Writes for consent: record a person's consent to a purpose (the log's new event
and the current state together), as a user on the record page, from a capture
form (with the wording and version the visitor saw; pending until confirmed when
the form asks for double opt-in), from an import; send and follow the double
opt-in link; flag what stays unconfirmed; and the check every email send makes.

Every write locks the person's row first (a lead through leads.services.locks, a
contact with select_for_update), as queue_email does before it checks consent:
a withdrawal and a send never interleave."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Contact
from leads.models import (
    USER_METHODS,
    CaptureForm,
    CaptureFormPurpose,
    ConsentEvent,
    ConsentMethod,
    ConsentPurpose,
    ConsentState,
    ConsentStatus,
    Lead,
)
from leads.selectors.consent import consent_refusal, pending_events, person_kwargs
from leads.services.capture import CaptureResult, capture_lead
from leads.services.locks import lock_lead
from leadsite.core.services import service

CONFIRM_SALT = "leads.consent.confirm"


class ConsentRefused(ValidationError):
    """An email for a purpose its person has not given consent to (the error
    sits on the purpose field; the API answers 409)."""


def check_email_consent(*, record, purpose) -> None:
    """Refuse (ConsentRefused) an email for `purpose` to the person of `record`
    unless their consent to it is given. No purpose: nothing to check."""
    refusal = consent_refusal(record=record, purpose=purpose)
    if refusal:
        raise ConsentRefused({"purpose": ValidationError(refusal, code="no_consent")})


def confirmation_days() -> int:
    return settings.LEADSITE_CONSENT_CONFIRMATION_DAYS


def _lock_person(person):
    if isinstance(person, Lead):
        return lock_lead(person.pk, related=())
    return Contact.objects.select_for_update().get(pk=person.pk)


@service
@transaction.atomic
def record_consent(
    *,
    person,
    purpose: ConsentPurpose,
    status: str,
    method: str,
    by,
    at: datetime.datetime | None = None,
    wording: str = "",
    wording_version: str = "",
    capture_form: CaptureForm | None = None,
    import_batch=None,
    note: str = "",
    confirms: ConsentEvent | None = None,
) -> ConsentEvent:
    """Append a consent event for `person` (a lead or contact) and `purpose`, and
    make it the person's current state for the purpose (unless a later event
    already is). `by`: the user recording it; None for the person themselves (a
    public form, the confirmation link). Locks the person's row."""
    _lock_person(person)
    where = person_kwargs(person)
    event = ConsentEvent(
        purpose=purpose,
        status=status,
        method=method,
        recorded_at=at or timezone.now(),
        recorded_by=by,
        capture_form=capture_form,
        import_batch=import_batch,
        wording=wording,
        wording_version=wording_version,
        note=note[:300],
        confirms=confirms,
        **where,
    )
    event.full_clean()
    event.save()
    state = ConsentState.objects.filter(purpose=purpose, **where).first()
    if state is not None and state.since > event.recorded_at:
        return event  # history only: a later event is the current state
    state = state or ConsentState(purpose=purpose, **where)
    state.status = status
    state.method = method
    state.since = event.recorded_at
    state.event = event
    state.unconfirmed_at = None
    state.confirmation_sent_at = None
    state.full_clean()
    state.save()
    return event


@service
@transaction.atomic
def record_consent_by_user(
    *, person, purpose: ConsentPurpose, status: str, method: str, by, note: str = ""
) -> ConsentEvent:
    """What a user records on a record page: given or withdrawn, by phone, email
    or in person (the record found through the scope gate already)."""
    if status not in (ConsentStatus.GIVEN, ConsentStatus.WITHDRAWN):
        raise ValidationError({"status": _("Choose given or withdrawn.")})
    if method not in USER_METHODS:
        raise ValidationError({"method": _("Choose phone, email or in person.")})
    if not purpose.is_active:
        raise ValidationError({"purpose": _("This purpose is switched off.")})
    return record_consent(
        person=person, purpose=purpose, status=status, method=method, by=by, note=note
    )


@service
@transaction.atomic
def capture_lead_with_consent(
    *,
    form: CaptureForm,
    data: dict,
    consents: list[CaptureFormPurpose],
    now: float | None = None,
) -> tuple[CaptureResult, list[int]]:
    """A capture form's submission (leads.services.capture.capture_lead) and the
    consents ticked on it, recorded with the wording and version shown; pending
    when the form asks for double opt-in. Returns the capture's result and the
    pending events' ids (the caller queues the confirmation email). A repeat of
    the same submission records nothing again."""
    result = capture_lead(form=form, data=data, now=now)
    if result.repeated and not result.blocked:
        return result, []
    status = ConsentStatus.PENDING if form.double_opt_in else ConsentStatus.GIVEN
    events = [
        record_consent(
            person=result.lead,
            purpose=item.purpose,
            status=status,
            method=ConsentMethod.CAPTURE_FORM,
            by=None,
            wording=item.wording,
            wording_version=item.version,
            capture_form=form,
        )
        for item in consents
    ]
    pending = [e.pk for e in events if e.status == ConsentStatus.PENDING]
    return result, pending


def confirmation_token(event_ids: list[int]) -> str:
    """The signed, URL-safe token of a double opt-in link (it names the pending
    events; their age decides whether it has expired)."""
    return signing.dumps({"e": sorted(event_ids)}, salt=CONFIRM_SALT)


@service
def send_consent_confirmation(
    *, event_ids: list[int], address: str, base_url: str
) -> bool:
    """Email `address` the double opt-in link for the pending events (the worker's
    task; in the language active when it was queued). False when none is pending
    any more or there is no address. Marks the states' confirmation as sent."""
    events = pending_events(event_ids=event_ids)
    if not events or not address:
        return False
    token = confirmation_token([e.pk for e in events])
    first = events[0]
    context = {
        "person": first.person,
        "events": events,
        "capture_form": first.capture_form,
        "url": base_url.rstrip("/") + reverse("leads:consent-confirm", args=[token]),
        "days": confirmation_days(),
    }
    subject = render_to_string("leads/consent/confirm_email_subject.txt", context)
    body = render_to_string("leads/consent/confirm_email.txt", context)
    send_mail(" ".join(subject.split()), body, None, [address])
    ConsentState.objects.filter(event__in=events).update(
        confirmation_sent_at=timezone.now()
    )
    return True


class ConsentLinkRefused(ValidationError):
    """A double opt-in link that confirms nothing; `code`: invalid, expired or
    superseded."""


@dataclass
class Confirmation:
    """What following a link did: "confirmed" (now) or "already" (before)."""

    outcome: str
    purposes: list = field(default_factory=list)


def _confirm_one(event, now) -> str:
    if ConsentEvent.objects.filter(confirms=event).exists():
        return "already"
    state = ConsentState.objects.get(
        purpose=event.purpose, **person_kwargs(event.person)
    )
    if state.event_id != event.pk:
        # Withdrawn, asked again or given another way since.
        return "already" if state.status == ConsentStatus.GIVEN else "superseded"
    if event.recorded_at + datetime.timedelta(days=confirmation_days()) < now:
        return "expired"
    record_consent(
        person=event.person,
        purpose=event.purpose,
        status=ConsentStatus.GIVEN,
        method=ConsentMethod.DOUBLE_OPT_IN,
        by=None,
        at=now,
        wording=event.wording,
        wording_version=event.wording_version,
        capture_form=event.capture_form,
        confirms=event,
    )
    return "confirmed"


@service
@transaction.atomic
def confirm_consent(*, token: str, now: datetime.datetime | None = None):
    """Follow a double opt-in link: each pending event it names becomes given
    (method double opt-in, the wording kept). Idempotent: a second click is
    "already". Refused (ConsentLinkRefused) when forged, older than
    LEADSITE_CONSENT_CONFIRMATION_DAYS, or superseded (withdrawn or asked again
    since). Locks the person's row, so two clicks at once confirm once."""
    try:
        ids = [int(pk) for pk in signing.loads(token, salt=CONFIRM_SALT)["e"]]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        ids = []
    events = list(
        ConsentEvent.objects.filter(pk__in=ids, status=ConsentStatus.PENDING)
        .select_related("purpose", "lead", "contact", "capture_form")
        .order_by("id")
    )
    if not events:
        raise ConsentLinkRefused(
            _("This confirmation link is not valid."), code="invalid"
        )
    now = now or timezone.now()
    _lock_person(events[0].person)
    outcomes = {event.purpose: _confirm_one(event, now) for event in events}
    confirmed = [p for p, outcome in outcomes.items() if outcome == "confirmed"]
    if confirmed:
        return Confirmation("confirmed", confirmed)
    if all(outcome == "already" for outcome in outcomes.values()):
        return Confirmation("already", list(outcomes))
    if "expired" in outcomes.values():
        raise ConsentLinkRefused(
            _(
                "This confirmation link has expired. Please fill in the form again "
                "to receive a new one."
            ),
            code="expired",
        )
    raise ConsentLinkRefused(
        _("This confirmation link is no longer valid: your choice changed since."),
        code="superseded",
    )


@service
def flag_unconfirmed_consents(*, now: datetime.datetime | None = None) -> int:
    """The daily job: flag every consent still awaiting its double opt-in
    confirmation LEADSITE_CONSENT_CONFIRMATION_DAYS after it was asked (the record
    shows "unconfirmed", the lead list's filter finds them). One UPDATE; returns
    how many it flagged."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=confirmation_days())
    return ConsentState.objects.filter(
        status=ConsentStatus.PENDING, unconfirmed_at__isnull=True, since__lte=cutoff
    ).update(unconfirmed_at=now)


@service
@transaction.atomic
def record_import_consents(*, lead: Lead, consents: dict, batch) -> int:
    """An import row's consent columns ({purpose: given?}) on its lead, method
    import, by the importing user. A purpose whose state already says the same is
    left alone (importing a file twice adds nothing). Returns how many it
    recorded."""
    current = {
        state.purpose_id: state.status
        for state in ConsentState.objects.filter(lead=lead)
    }
    recorded = 0
    for purpose, given in consents.items():
        status = ConsentStatus.GIVEN if given else ConsentStatus.WITHDRAWN
        if current.get(purpose.pk) == status:
            continue
        record_consent(
            person=lead,
            purpose=purpose,
            status=status,
            method=ConsentMethod.IMPORT,
            by=batch.created_by,
            import_batch=batch,
        )
        recorded += 1
    return recorded


# --- what administrators and managers keep --------------------------------------------


@service
@transaction.atomic
def save_consent_purpose(*, purpose: ConsentPurpose, by) -> ConsentPurpose:
    """Create or change a purpose (the admin)."""
    purpose.full_clean()
    purpose.save()
    return purpose


@service
@transaction.atomic
def save_capture_form_purpose(*, item: CaptureFormPurpose, by) -> CaptureFormPurpose:
    """Create or change the consent a capture form asks for. Changed wording needs
    a new version: the consents recorded keep the version they were given with."""
    if item.pk is not None:
        before = CaptureFormPurpose.objects.filter(pk=item.pk).first()
        if (
            before is not None
            and before.wording != item.wording
            and before.version == item.version
        ):
            raise ValidationError(
                {
                    "version": _(
                        "The wording changed: give it a new version, so consents "
                        "given with the old wording keep theirs."
                    )
                }
            )
    item.full_clean()
    item.save()
    return item


@service
@transaction.atomic
def set_capture_form_purposes(*, capture_form: CaptureForm, by, choices) -> None:
    """The capture-form editor's consent choices: per purpose, asked or not, with
    its wording and version (each one saved by save_capture_form_purpose)."""
    existing = {
        item.purpose_id: item
        for item in CaptureFormPurpose.objects.filter(capture_form=capture_form)
    }
    for position, choice in enumerate(choices):
        item = existing.get(choice["purpose"].pk)
        if not choice["ask"]:
            if item is not None:
                item.delete()
            continue
        item = item or CaptureFormPurpose(
            capture_form=capture_form, purpose=choice["purpose"]
        )
        item.wording = choice["wording"]
        item.version = choice["version"]
        item.position = position
        try:
            save_capture_form_purpose(item=item, by=by)
        except ValidationError as error:
            raise ValidationError(
                _("“%(purpose)s”: %(error)s")
                % {"purpose": item.purpose, "error": " ".join(error.messages)}
            ) from None
