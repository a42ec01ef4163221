"""Reads for retention: the policy, what each kind has due at a moment (split into
what a run handles and what a legal hold keeps), the dry run's counts, the run log
and the export log.

The "due" querysets are the run's own (privacy.services.retention takes them batch
by batch), so a dry run counts exactly what a run would do. Each reads a partial
index of privacy migration 0002_retention holding only what is still to be done.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import ExportLog, User
from leads.models import (
    Activity,
    ActivityState,
    EmailMessage,
    EmailState,
    ImportBatch,
    ImportRow,
    ImportStatus,
    Lead,
    LeadState,
)
from privacy.models import (
    ANONYMISED,
    REMOVED,
    LeadRetentionAction,
    LegalHold,
    RetentionKind,
    RetentionPolicy,
    RetentionRun,
)
from webhooks.models import Delivery, DeliveryStatus, Event

RECENT_RUNS = 20
EXPORT_LOG_PAGE = 50
DAY = datetime.timedelta(days=1)


def get_policy() -> RetentionPolicy:
    """The retention policy (unsaved defaults, everything kept forever, until an
    administrator saves one)."""
    return RetentionPolicy.objects.filter(pk=1).first() or RetentionPolicy(pk=1)


def list_runs() -> QuerySet[RetentionRun]:
    """The retention runs, newest first, with who started them."""
    return RetentionRun.objects.select_related("started_by")


# --- legal holds ---------------------------------------------------------------------


def _active_holds() -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(released_at__isnull=True)


def held_lead(ref: str = "pk") -> Exists:
    """The lead at `ref` is under an active legal hold."""
    return Exists(_active_holds().filter(lead=OuterRef(ref)))


def held_contact(ref: str) -> Exists:
    """The contact at `ref` is under an active legal hold."""
    return Exists(_active_holds().filter(contact=OuterRef(ref)))


def _held_record(prefix: str = "") -> Q:
    """A timeline item (or one reached through `prefix`) regards a held lead or
    contact."""
    return Q(held_lead(f"{prefix}lead_id")) | Q(held_contact(f"{prefix}contact_id"))


# --- what is due ---------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """What one kind has due: `todo` the run handles (in batches), `held` a legal
    hold keeps."""

    todo: QuerySet
    held: QuerySet


def _split(due: QuerySet, held: Q) -> Due:
    return Due(todo=due.exclude(held), held=due.filter(held))


def due_leads(*, cutoff: datetime.datetime, action: str) -> Due:
    """Disqualified leads closed before `cutoff`: to anonymise (those not yet
    anonymised) or to delete (all). When deleting, a lead that is the master of a
    merged lead that is not due too waits for it (deleting it would leave that lead
    merged into nothing)."""
    due = Lead.objects.filter(state=LeadState.DISQUALIFIED, closed_at__lt=cutoff)
    if action == LeadRetentionAction.ANONYMISE:
        return _split(due.exclude(last_name=ANONYMISED), Q(held_lead()))
    parts = _split(due, Q(held_lead()))
    waiting = Lead.objects.filter(master=OuterRef("pk")).filter(
        ~Q(state=LeadState.DISQUALIFIED) | ~Q(closed_at__lt=cutoff) | Q(held_lead())
    )
    return Due(todo=parts.todo.exclude(Exists(waiting)), held=parts.held)


def due_activities(*, cutoff: datetime.datetime) -> list[Due]:
    """Closed activities whose content is still there: completed before `cutoff`,
    and cancelled ones created before it (the time of cancelling is not kept).
    Two parts, each read through its own partial index."""
    kept = Activity.objects.exclude(subject=REMOVED)
    return [
        _split(
            kept.filter(state=ActivityState.COMPLETED, completed_at__lt=cutoff),
            _held_record(),
        ),
        _split(
            kept.filter(state=ActivityState.CANCELED, created_at__lt=cutoff),
            _held_record(),
        ),
    ]


def due_email_bodies(*, cutoff: datetime.datetime) -> Due:
    """Emails sent, failed or received, queued (or received) before `cutoff`, that
    still have their text. Queued ones wait to be sent and keep it."""
    due = EmailMessage.objects.exclude(body="").filter(
        state__in=[EmailState.SENT, EmailState.FAILED, EmailState.RECEIVED],
        queued_at__lt=cutoff,
    )
    return _split(due, _held_record())


FINISHED_IMPORTS = [ImportStatus.DONE, ImportStatus.UNDONE, ImportStatus.REFUSED]


def due_import_files(*, cutoff: datetime.datetime) -> Due:
    """Finished imports (done, undone or refused) that ended before `cutoff` and
    still have their file. An import that brought in a held lead keeps its file."""
    due = (
        ImportBatch.objects.filter(status__in=FINISHED_IMPORTS)
        .exclude(file="")
        .alias(ended=Coalesce("undone_at", "finished_at", "created_at"))
        .filter(ended__lt=cutoff)
    )
    held_rows = ImportRow.objects.filter(batch=OuterRef("pk")).filter(
        held_lead("lead_id")
    )
    return _split(due, Q(Exists(held_rows)))


def _held_event() -> Q:
    held_leads = _active_holds().filter(lead__isnull=False).values("lead_id")
    held_contacts = _active_holds().filter(contact__isnull=False).values("contact_id")
    return Q(event__object_type="leads.lead", event__object_id__in=held_leads) | Q(
        event__object_type="accounts.contact", event__object_id__in=held_contacts
    )


def due_webhook_deliveries(*, cutoff: datetime.datetime) -> Due:
    """Finished webhook deliveries (not pending) created before `cutoff`; those of an
    event about a held lead or contact are kept."""
    due = Delivery.objects.exclude(status=DeliveryStatus.PENDING).filter(
        created_at__lt=cutoff
    )
    return _split(due, _held_event())


def spent_webhook_events(*, cutoff: datetime.datetime) -> QuerySet[Event]:
    """Events sent out before `cutoff` with no delivery left (their body is a copy of
    the record), unless about a held lead or contact."""
    held_leads = _active_holds().filter(lead__isnull=False).values("lead_id")
    held_contacts = _active_holds().filter(contact__isnull=False).values("contact_id")
    return (
        Event.objects.filter(dispatched_at__isnull=False, created_at__lt=cutoff)
        .exclude(Exists(Delivery.objects.filter(event=OuterRef("pk"))))
        .exclude(object_type="leads.lead", object_id__in=held_leads)
        .exclude(object_type="accounts.contact", object_id__in=held_contacts)
    )


def cutoffs(
    policy: RetentionPolicy, now: datetime.datetime
) -> dict[str, datetime.datetime]:
    """Per kind with a period, the moment before which its records are due."""
    return {
        kind: now - days * DAY
        for kind, days in policy.days().items()
        if days is not None
    }


def due_by_kind(
    policy: RetentionPolicy, now: datetime.datetime
) -> dict[str, list[Due]]:
    """Per kind with a period, its due parts at `now`."""
    found = {}
    for kind, cutoff in cutoffs(policy, now).items():
        if kind == RetentionKind.LEADS:
            parts = [due_leads(cutoff=cutoff, action=policy.disqualified_leads_action)]
        elif kind == RetentionKind.ACTIVITIES:
            parts = due_activities(cutoff=cutoff)
        elif kind == RetentionKind.EMAIL_BODIES:
            parts = [due_email_bodies(cutoff=cutoff)]
        elif kind == RetentionKind.IMPORT_FILES:
            parts = [due_import_files(cutoff=cutoff)]
        else:
            parts = [due_webhook_deliveries(cutoff=cutoff)]
        found[kind] = parts
    return found


def preview_retention(
    *, policy: RetentionPolicy | None = None, now: datetime.datetime | None = None
) -> dict[str, dict[str, int]]:
    """The dry run: per kind with a period, how many records a run at `now` would
    handle ("done") and how many a legal hold keeps ("held"). Reads only; two
    counts per part."""
    policy = policy or get_policy()
    now = now or timezone.now()
    return {
        str(kind): {
            "done": sum(part.todo.count() for part in parts),
            "held": sum(part.held.count() for part in parts),
        }
        for kind, parts in due_by_kind(policy, now).items()
    }


# --- the export log ------------------------------------------------------------------


def export_log_users() -> QuerySet[User]:
    """The users who exported anything (the filter's choices)."""
    return User.objects.filter(pk__in=ExportLog.objects.values("user_id")).order_by(
        "username"
    )


def list_export_logs(
    *,
    user: User | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[ExportLog]:
    """The export log, newest first: optionally one user's, between two local days
    (both included)."""
    entries = ExportLog.objects.select_related("user")
    if user is not None:
        entries = entries.filter(user=user)
    if date_from is not None:
        entries = entries.filter(created_at__gte=_local_midnight(date_from))
    if date_to is not None:
        entries = entries.filter(created_at__lt=_local_midnight(date_to + DAY))
    return entries


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
