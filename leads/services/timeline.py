"""Writes for the timeline: notes, activities (log, complete, cancel) and attachments.

Every item regards exactly one record (a lead, account, contact or opportunity). Notes,
activities and attachments may be added to closed leads too (as in D365, where notes
stay open on closed records); edits of the lead itself are what closing freezes.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Account, Contact, Opportunity
from leads.attachments import check_upload
from leads.models import (
    Activity,
    ActivityKind,
    Attachment,
    Direction,
    Lead,
    LeadStatus,
    Note,
)
from leads.services.lifecycle import mark_contacted
from leads.services.locks import lock_lead
from leads.services.scoring import score_leads
from leads.submissions import claim_submission, record_submission
from leadsite.core.services import service

RECORD_FIELDS = {
    Lead: "lead",
    Account: "account",
    Contact: "contact",
    Opportunity: "opportunity",
}


def regarding_kwargs(record) -> dict:
    """{"lead": record} (or account/contact/opportunity) for a timeline item."""
    for model, field in RECORD_FIELDS.items():
        if isinstance(record, model):
            return {field: record}
    raise TypeError(f"A timeline item cannot regard {type(record).__name__}.")


@service
@transaction.atomic
def add_note(
    *, record, by, text: str, title: str = "", submission_token: str | None = None
) -> Note:
    """Add a note to a record's timeline. A repeated POST of the same form (same
    `submission_token`) returns the note the first one added."""
    existing = claim_submission(token=submission_token, kind="note", by=by)
    if existing is not None:
        return Note.objects.get(pk=existing)
    note = Note(title=title, text=text, created_by=by, **regarding_kwargs(record))
    note.full_clean()
    note.save()
    record_submission(token=submission_token, kind="note", object_id=note.pk)
    return note


def _check_do_not_contact(*, lead: Lead, kind: str, direction: str) -> None:
    if direction != Direction.OUTGOING:
        return
    if kind == ActivityKind.PHONE_CALL and lead.do_not_phone:
        raise ValidationError(
            {
                "direction": gettext(
                    "This lead does not allow phone calls (“Do not allow phone "
                    "calls” is set). Log an incoming call, or clear the flag on the "
                    "lead first."
                )
            },
            code="do_not_phone",
        )
    if kind == ActivityKind.EMAIL and lead.do_not_email:
        raise ValidationError(
            {
                "direction": gettext(
                    "This lead does not allow email (“Do not allow email” is set). "
                    "Log an incoming email, or clear the flag on the lead first."
                )
            },
            code="do_not_email",
        )


def _after_lead_activity(*, lead: Lead, by, completed: bool) -> None:
    """First-activity timestamp and the automatic New → Contacted step.

    Runs inside the caller's transaction with the lead row locked.
    """
    if lead.first_activity_at is None:
        # The caller holds the row lock, so no concurrent first activity slips in.
        lead.first_activity_at = timezone.now()
        lead.save(update_fields=["first_activity_at"])
        score_leads([lead.pk])
    if completed and lead.status == LeadStatus.NEW:
        mark_contacted(lead=lead, by=by)


def _lock_lead_then_activity(activity: Activity) -> tuple[Lead | None, Activity]:
    """Lock the activity's lead (if any), then the activity: the documented order."""
    lead_id = Activity.objects.values_list("lead_id", flat=True).get(pk=activity.pk)
    lead = lock_lead(lead_id) if lead_id else None
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.lead_id != lead_id:
        # A merge moved it to its master meanwhile; that merge has committed.
        lead = lock_lead(activity.lead_id) if activity.lead_id else None
    return lead, activity


@service
@transaction.atomic
def log_activity(
    *,
    record,
    by,
    kind: str,
    subject: str,
    description: str = "",
    direction: str = "",
    due_at=None,
    start_at=None,
    end_at=None,
    completed: bool = False,
    owner=None,
    submission_token: str | None = None,
) -> Activity:
    """Log a phone call, email, task or appointment on a record.

    Fields that do not belong to the kind are dropped (direction only for calls and
    emails, due only for tasks, start/end only for appointments). On a lead: an
    outgoing call or email is refused when the lead's do-not-contact flag for it is
    set; the lead's first_activity_at is set if empty; and an activity logged as
    completed on a lead in status New marks the lead Contacted. The lead row is
    locked for the duration. A repeated POST of the same form (same
    `submission_token`) returns the activity the first one logged.
    """
    existing = claim_submission(token=submission_token, kind="activity", by=by)
    if existing is not None:
        return Activity.objects.get(pk=existing)
    if kind not in (ActivityKind.PHONE_CALL, ActivityKind.EMAIL):
        direction = ""
    if kind != ActivityKind.TASK:
        due_at = None
    if kind != ActivityKind.APPOINTMENT:
        start_at = end_at = None
    lead = None
    if isinstance(record, Lead):
        lead = lock_lead(record.pk)
        record = lead
        _check_do_not_contact(lead=lead, kind=kind, direction=direction)
    activity = Activity(
        kind=kind,
        subject=subject,
        description=description,
        direction=direction,
        due_at=due_at,
        start_at=start_at,
        end_at=end_at,
        owner=owner or by,
        created_by=by,
        **regarding_kwargs(record),
    )
    # The protected FSM field cannot be re-set by clean_fields; transitions own it.
    activity.full_clean(exclude=["state"])
    activity.save()
    record_submission(token=submission_token, kind="activity", object_id=activity.pk)
    if completed:
        # Saved first so the transition log row can point at it.
        activity.complete(by=by, description=gettext("Logged as completed"))
        activity.save(update_fields=["state", "completed_at"])
    if lead is not None:
        _after_lead_activity(lead=lead, by=by, completed=completed)
    return activity


@service
@transaction.atomic
def complete_activity(*, activity: Activity, by) -> Activity:
    """Mark an open activity completed (logged in the transition log).

    On a lead still in status New this also marks the lead Contacted.
    Raises django_fsm.TransitionNotAllowed if it is no longer open. Lock order
    (leads/services/locks.py): the lead first, then the activity.
    """
    lead, activity = _lock_lead_then_activity(activity)
    activity.complete(by=by)
    activity.save(update_fields=["state", "completed_at"])
    if lead is not None:
        _after_lead_activity(lead=lead, by=by, completed=True)
    return activity


@service
@transaction.atomic
def cancel_activity(*, activity: Activity, by) -> Activity:
    """Cancel an open activity (logged in the transition log).

    Raises django_fsm.TransitionNotAllowed if it is no longer open.
    """
    _lead, activity = _lock_lead_then_activity(activity)
    activity.cancel(by=by)
    activity.save(update_fields=["state"])
    return activity


@service
def add_attachment(
    *, record, by, upload, submission_token: str | None = None
) -> Attachment:
    """Store an uploaded file on a record's timeline.

    The content is checked first (leads.attachments.check_upload: size limit, type
    allow-list by magic number); a refused file raises ValidationError and writes
    nothing. The file is stored under a generated name; the row keeps the original
    name. If the row cannot be saved, the stored file is removed again. A repeated
    POST of the same form (same `submission_token`) stores nothing and returns the
    attachment the first one added.
    """
    checked = check_upload(upload)
    attachment = Attachment(
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        created_by=by,
        **regarding_kwargs(record),
    )
    attachment.file = upload
    attachment.full_clean()
    try:
        with transaction.atomic():
            existing = claim_submission(
                token=submission_token, kind="attachment", by=by
            )
            if existing is not None:
                return Attachment.objects.get(pk=existing)
            attachment.save()
            record_submission(
                token=submission_token, kind="attachment", object_id=attachment.pk
            )
    except Exception:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment
