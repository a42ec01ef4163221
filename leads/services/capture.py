"""Leads that come in from outside: the public capture form, and the routing and
duplicate flagging it shares with imports.

A submission is claimed by inserting a CaptureSubmission row whose (form,
fingerprint, 10-minute bucket) is unique in the database: of two identical POSTs,
even at the same moment on two app servers, one inserts and creates the lead, the
other hits the constraint and gets the same lead back. Nothing checks first and
inserts later.
"""

import hashlib
import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import Contact, User
from accounts.permissions import SALES_MANAGER
from leads.models import (
    CaptureForm,
    CaptureSubmission,
    DuplicateAction,
    Lead,
    PossibleDuplicate,
)
from leads.models.capture import CAPTURE_OPTIONAL_FIELDS
from leads.routing.fallback import fallback_owner
from leads.selectors.duplicate_rules import DuplicateCheck, check_lead_duplicates
from leads.selectors.routing.situation import RuleSet, load_situation
from leads.services.duplicates import flag_duplicate_matches
from leads.services.lifecycle import create_lead
from leads.services.routing import route_lead
from leadsite.core.phones import same_phone_q
from leadsite.core.services import service

BUCKET_SECONDS = 600
CAPTURE_FIELDS = CAPTURE_OPTIONAL_FIELDS


def incoming_owner(business_unit) -> User | None:
    """Who owns a lead that comes in through a capture form until routing decides:
    its fallback owner (leads.routing.fallback, the rule routing applies when no
    rule routes the lead), so a lead no rule routes keeps the owner it was created
    with. When nobody can take it, a lead still has an owner: the business unit's
    first active sales manager, else the first active superuser."""
    unit_id = getattr(business_unit, "pk", None)
    situation = load_situation(
        ruleset=RuleSet.load(rules=[]), rules=[], unit_ids=[unit_id]
    )
    owner, _ = fallback_owner(situation, unit_id)
    if owner is not None:
        return owner
    candidates = User.objects.filter(is_active=True).order_by("pk")
    if business_unit is not None:
        owner = candidates.filter(
            business_unit=business_unit, groups__name=SALES_MANAGER
        ).first()
        if owner:
            return owner
    return candidates.filter(is_superuser=True).first()


def route_incoming_lead(*, lead: Lead, by, trigger: str) -> Lead:
    """Route a lead that just came in by the routing rules (route_lead); returns the
    fresh, saved lead."""
    return route_lead(lead=lead, by=by, trigger=trigger).lead


def find_existing_matches(*, email: str, phone: str, exclude_pk=None):
    """Existing leads and contacts (any owner) with the same email or the same
    phone number (by digits, leadsite.core.phones)."""
    email = (email or "").strip()
    lead_q, contact_q = Q(pk__in=[]), Q(pk__in=[])
    if email:
        lead_q |= Q(email__in={email, email.lower()})
        contact_q |= Q(email__in={email, email.lower()})
    phone_q = same_phone_q(["business_phone_digits", "mobile_phone_digits"], phone)
    if phone_q is not None:
        lead_q |= phone_q
        contact_q |= phone_q
    leads = Lead.objects.filter(lead_q).exclude(pk=exclude_pk).order_by("-pk")[:5]
    contacts = Contact.objects.filter(contact_q).order_by("-pk")[:5]
    return list(leads), list(contacts)


def _reason(record, email, phone):
    if email and (record.email or "").lower() == email.strip().lower():
        return "same email"
    return "same phone"


@service
@transaction.atomic
def flag_possible_duplicates(
    *, lead: Lead, origin: str, check: DuplicateCheck | None = None
) -> list[PossibleDuplicate]:
    """Flag `lead` against the existing leads the published duplicate rules match
    (`check`, made before the lead was written, or now) and the contacts with its
    email or phone. The lead stays as it is (never dropped, never merged)."""
    if check is None:
        check = check_lead_duplicates(
            user=None,
            fields=lead,
            exclude_pk=lead.pk,
            business_unit_id=lead.business_unit_id,
        )
    flagged = flag_duplicate_matches(lead=lead, check=check, origin=origin)
    phone = lead.business_phone or lead.mobile_phone
    _, contacts = find_existing_matches(
        email=lead.email, phone=phone, exclude_pk=lead.pk
    )
    flags = [
        PossibleDuplicate(
            lead=lead,
            matched_contact=match,
            reason=_reason(match, lead.email, phone),
            origin=origin,
        )
        for match in contacts
    ]
    for flag in flags:
        flag.full_clean()
    return flagged + PossibleDuplicate.objects.bulk_create(flags)


def submission_fingerprint(form: CaptureForm, data: dict) -> str:
    """Same form, same email, same content → same fingerprint."""
    parts = [str(form.pk), (data.get("email") or "").strip().lower()]
    parts += [
        f"{name}={' '.join(str(data.get(name) or '').split()).lower()}"
        for name in sorted(data)
        if name != "email"
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass
class CaptureResult:
    lead: Lead
    repeated: bool
    # A block duplicate rule refused a new lead: `lead` is the existing match.
    blocked: bool = False


@service
@transaction.atomic
def capture_lead(*, form: CaptureForm, data: dict, now: float | None = None):
    """Turn a capture-form submission into a lead: source and campaign from the
    form, the message kept as the original request, routed (trigger "capture"),
    flagged as a possible duplicate when a warning duplicate rule matches (or a
    contact has its email or phone). When a block rule matches, no lead is
    created: the result is the existing lead (repeated=True, blocked=True).

    A repeat of the same submission within 10 minutes returns the first lead
    (repeated=True) and writes nothing.
    """
    now = time.time() if now is None else now
    fingerprint = submission_fingerprint(form, data)
    bucket = int(now // BUCKET_SECONDS)
    earlier = (
        CaptureSubmission.objects.filter(
            capture_form=form, fingerprint=fingerprint, bucket=bucket - 1
        )
        .select_related("lead")
        .first()
    )
    if earlier is not None and now - earlier.created_at.timestamp() < BUCKET_SECONDS:
        return CaptureResult(lead=earlier.lead, repeated=True)
    try:
        with transaction.atomic():
            submission = CaptureSubmission.objects.create(
                capture_form=form, fingerprint=fingerprint, bucket=bucket
            )
    except IntegrityError:
        first = CaptureSubmission.objects.select_related("lead").get(
            capture_form=form, fingerprint=fingerprint, bucket=bucket
        )
        return CaptureResult(lead=first.lead, repeated=True)
    fields = {name: data[name] for name in CAPTURE_FIELDS if data.get(name)}
    check = check_lead_duplicates(
        user=None,
        fields={"last_name": data["last_name"], "email": data.get("email"), **fields},
        business_unit_id=form.business_unit_id,
    )
    if check.blocked:
        # Nothing new: the submission lands on the lead a block rule matched (the
        # visitor is thanked as usual; nothing of that lead reaches them).
        blocking = set(check.matched_ids(DuplicateAction.BLOCK))
        match = next(lead for lead in check.leads if lead.pk in blocking)
        submission.lead = match
        submission.save(update_fields=["lead"])
        return CaptureResult(lead=match, repeated=True, blocked=True)
    owner = incoming_owner(form.business_unit)
    lead = create_lead(
        by=owner,
        owner_user=owner,
        business_unit=form.business_unit,
        subject=form.topic or f"Web enquiry: {form.name}"[:300],
        last_name=data["last_name"],
        email=data.get("email", ""),
        original_message=data.get("message", ""),
        source=form.default_source,
        campaign=form.campaign,
        capture_form=form,
        **fields,
    )
    lead.created_by = None
    lead.save(update_fields=["created_by"])
    lead = route_incoming_lead(lead=lead, by=None, trigger="capture")
    flag_possible_duplicates(lead=lead, origin="capture", check=check)
    submission.lead = lead
    submission.save(update_fields=["lead"])
    return CaptureResult(lead=lead, repeated=False)


@service
@transaction.atomic
def save_capture_form(*, by, instance: CaptureForm | None, data: dict) -> CaptureForm:
    """Create or change a capture form (the editor's business-unit limit is the
    form's job; the model validates the redirect allow-list and fields)."""
    capture_form = instance or CaptureForm()
    for name, value in data.items():
        setattr(capture_form, name, value)
    capture_form.full_clean()
    capture_form.save()
    return capture_form
