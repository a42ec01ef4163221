"""Writes for retention: save the policy, and apply it (the nightly job, the page's
"Run now", `manage.py apply_retention`).

A run takes each kind's due records (privacy.selectors.retention) in batches of
LEADSITE_RETENTION_BATCH primary keys, one transaction each, and handles every batch
with set-based statements (UPDATE ... WHERE id IN batch, DELETE ... WHERE id IN
batch): no Python loop over the records. A handled record leaves the due set (an
anonymised lead, a cleared activity, a removed file), so the next batch is again
"the first N due", read through a partial index that holds only what is due. On
PostgreSQL each batch locks its rows and skips rows another run has locked, so two
runs at once share the work instead of doing it twice. Records under an active
legal hold are never taken; the run counts them as held. Files leave storage after
their batch commits.

Anonymising a lead here replaces its personal fields in bulk, keeping what the
source report counts (source, campaign, owner, status, dates, amounts).
privacy.services.erasure erases one person everywhere with the values it finds;
both should share the lead's part (issue 25: to reconcile).
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, QuerySet, Subquery
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.permissions import is_administrator
from accounts.services.audit import purge_api_list_reads
from leads.models import (
    Activity,
    Attachment,
    EmailMessage,
    ImportBatch,
    ImportRow,
    InboundMessage,
    Lead,
    MassUpdateRow,
    Note,
)
from leadsite.core.services import service
from leadsite.core.validation import full_clean
from privacy.models import (
    ANONYMISED,
    REMOVED,
    LeadRetentionAction,
    RetentionKind,
    RetentionPolicy,
    RetentionRun,
    RunTrigger,
)
from privacy.selectors import retention as reading
from webhooks.models import Delivery, Event

# A lead's personal values and what replaces them. Kept: source, campaign, capture
# form, owner and unit, state and status, dates, amounts, rating, industry,
# employees, country, the qualification details and the links to other records.
ANONYMISED_VALUES = {
    "subject": ANONYMISED,
    "last_name": ANONYMISED,
    "salutation": "",
    "first_name": "",
    "job_title": "",
    "email": "",
    "business_phone": "",
    "mobile_phone": "",
    "company_name": "",
    "website": "",
    "description": "",
    "original_message": "",
    "address_line1": "",
    "address_line2": "",
    "address_line3": "",
    "city": "",
    "state_or_province": "",
    "postal_code": "",
    # The record's id in the system it came from: it would tie the row to the person.
    "external_system": "",
    "external_id": None,
}
CLEARED_EMAIL = {"subject": REMOVED, "body": "", "from_address": "", "to_address": ""}
# Import batches hold many rows each: fewer per transaction.
IMPORTS_PER_BATCH = 20


def _refuse_unless_administrator(by) -> None:
    if by is not None and not is_administrator(by):
        raise PermissionDenied("Only administrators manage retention.")


@service
@transaction.atomic
def update_retention_policy(*, by, **fields) -> RetentionPolicy:
    """Save the policy's periods and lead action (`fields`, RetentionPolicy field
    names), validated, with who changed it and when. Administrators only. The next
    run applies it."""
    _refuse_unless_administrator(by)
    policy = RetentionPolicy.objects.select_for_update().filter(
        pk=1
    ).first() or RetentionPolicy(pk=1)
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.modified_by = by
    policy.modified_at = timezone.now()
    full_clean(policy)
    policy.save()
    return policy


# --- batches -------------------------------------------------------------------------


def _in_batches(todo: QuerySet, handle, *, size: int) -> int:
    """Call `handle(ids)` on `todo`'s primary keys, `size` at a time, each batch in
    its own transaction with its rows locked; returns the sum of what `handle`
    returned (the records it handled). Stops when nothing is due any more."""
    done = 0
    while True:
        with transaction.atomic():
            ids = list(
                todo.select_for_update(skip_locked=True, of=("self",))
                .order_by()
                .values_list("pk", flat=True)[:size]
            )
            if not ids:
                return done
            handled = handle(ids)
        if not handled:
            # A batch whose rows stay due would be read again and again.
            raise RuntimeError("A retention batch left its records due.")
        done += handled


def _delete_files_after_commit(field, names) -> None:
    names = [name for name in names if name]
    if not names:
        return
    storage = field.storage

    def delete():
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete)


def _attachment_files(items: QuerySet) -> list[str]:
    return list(items.values_list("file", flat=True))


# --- leads ---------------------------------------------------------------------------


def _scrub_lead_traces(ids: list[int]) -> None:
    """The lead's values kept elsewhere: an import's row (the values it wrote and
    replaced), a mass update's row, an inbound message's receipt, the transition
    log's notes."""
    ImportRow.objects.filter(lead_id__in=ids).update(
        previous={}, applied={}, message=""
    )
    MassUpdateRow.objects.filter(lead_id__in=ids).update(
        lead_label=ANONYMISED, before={}, after={}
    )
    InboundMessage.objects.filter(lead_id__in=ids).update(sender="", subject="")
    StateLog.objects.filter(
        content_type__app_label="leads",
        content_type__model="lead",
        object_id__in=ids,
    ).update(description=None)


def anonymise_leads(ids: list[int], *, now: datetime.datetime) -> int:
    """Replace the personal values of the leads `ids` (and of their change history)
    by ANONYMISED_VALUES, remove their notes and attachments (files after commit),
    and clear their activities' and emails' text; returns the leads changed.
    Set-based: a fixed number of statements whatever the number of leads. The
    caller holds the transaction (and the rows' locks)."""
    files = _attachment_files(Attachment.objects.filter(lead_id__in=ids))
    _scrub_lead_traces(ids)
    changed = Lead.objects.filter(pk__in=ids).update(
        **ANONYMISED_VALUES, version=F("version") + 1, modified_at=now
    )
    Lead.history.model.objects.filter(id__in=ids).update(**ANONYMISED_VALUES)
    Note.objects.filter(lead_id__in=ids).delete()
    Attachment.objects.filter(lead_id__in=ids).delete()
    Activity.objects.filter(lead_id__in=ids).update(subject=REMOVED, description="")
    EmailMessage.objects.filter(lead_id__in=ids).update(**CLEARED_EMAIL)
    _delete_files_after_commit(Attachment._meta.get_field("file"), files)
    return changed


def _with_merged(ids: list[int]) -> list[int]:
    """`ids` and the leads merged into them, at any depth (their master goes)."""
    found = set(ids)
    new = found
    while new:
        new = (
            set(Lead.objects.filter(master_id__in=new).values_list("pk", flat=True))
            - found
        )
        found |= new
    return sorted(found)


def delete_leads(ids: list[int]) -> int:
    """Delete the leads `ids` with the leads merged into them (due too: see
    reading.due_leads), their timeline, links and consent records (cascade), their
    change history and transition log, and their attachments' files after commit;
    returns the leads deleted. The caller holds the transaction."""
    ids = _with_merged(ids)
    files = _attachment_files(Attachment.objects.filter(lead_id__in=ids))
    _scrub_lead_traces(ids)
    leads = Lead.objects.filter(pk__in=ids)
    # A merged lead's master goes in the same statement: unmerge first, or the
    # master's removal would leave it "merged" into nothing (lead_merged_has_master).
    leads.filter(merged=True).update(merged=False, master=None)
    _, per_model = leads.delete()
    Lead.history.model.objects.filter(id__in=ids).delete()
    StateLog.objects.filter(
        content_type__app_label="leads",
        content_type__model="lead",
        object_id__in=ids,
    ).delete()
    _delete_files_after_commit(Attachment._meta.get_field("file"), files)
    return per_model.get(Lead._meta.label, 0)


# --- the other kinds -----------------------------------------------------------------


def clear_activities(ids: list[int]) -> int:
    """Replace the subject and remove the description of the activities `ids`, and
    the text and addresses of their emails; returns the activities cleared."""
    cleared = Activity.objects.filter(pk__in=ids).update(
        subject=REMOVED, description=""
    )
    EmailMessage.objects.filter(activity_id__in=ids).update(**CLEARED_EMAIL)
    return cleared


def clear_email_bodies(ids: list[int]) -> int:
    """Remove the text of the emails `ids` (and of their activities, which carry a
    copy); returns the emails cleared."""
    Activity.objects.filter(
        pk__in=Subquery(EmailMessage.objects.filter(pk__in=ids).values("activity_id"))
    ).update(description="")
    return EmailMessage.objects.filter(pk__in=ids).update(body="")


def remove_import_files(ids: list[int]) -> int:
    """Remove the uploaded files (after commit) and the row reports of the import
    batches `ids`; their summaries (counts, dates, who) stay. Returns the batches."""
    names = list(ImportBatch.objects.filter(pk__in=ids).values_list("file", flat=True))
    ImportRow.objects.filter(batch_id__in=ids).delete()
    removed = ImportBatch.objects.filter(pk__in=ids).update(file="")
    _delete_files_after_commit(ImportBatch._meta.get_field("file"), names)
    return removed


def delete_deliveries(ids: list[int]) -> int:
    """Delete the webhook deliveries `ids` with their attempts; returns how many."""
    _, per_model = Delivery.objects.filter(pk__in=ids).delete()
    return per_model.get(Delivery._meta.label, 0)


def _delete_events(ids: list[int]) -> int:
    _, per_model = Event.objects.filter(pk__in=ids).delete()
    return per_model.get(Event._meta.label, 0)


# --- the run -------------------------------------------------------------------------


def _handler(kind: str, policy: RetentionPolicy, now: datetime.datetime):
    if kind == RetentionKind.LEADS:
        if policy.disqualified_leads_action == LeadRetentionAction.DELETE:
            return delete_leads
        return lambda ids: anonymise_leads(ids, now=now)
    return {
        RetentionKind.ACTIVITIES: clear_activities,
        RetentionKind.EMAIL_BODIES: clear_email_bodies,
        RetentionKind.IMPORT_FILES: remove_import_files,
        RetentionKind.WEBHOOK_LOGS: delete_deliveries,
    }[kind]


@service
def apply_retention(
    *,
    by=None,
    trigger: str = RunTrigger.SCHEDULE,
    now: datetime.datetime | None = None,
    batch_size: int | None = None,
) -> RetentionRun:
    """Apply the retention policy as of `now`: per kind with a period, handle what
    is due (anonymise or delete disqualified leads, clear closed activities and
    email bodies, remove import files, delete webhook delivery logs and the events
    left without deliveries), skipping records under an active legal hold; also
    purge the API read bookkeeping (accounts.services.audit).

    Writes a RetentionRun first and its counts per kind ("done", "held") at the end;
    a failure keeps the counts so far and the error's type (no message: it could
    hold a value) and is raised again. `by`: the administrator who asked (None: the
    scheduler). Not one transaction: each batch commits on its own (see module)."""
    _refuse_unless_administrator(by)
    now = now or timezone.now()
    size = batch_size or settings.LEADSITE_RETENTION_BATCH
    policy = reading.get_policy()
    run = RetentionRun.objects.create(
        started_at=now,
        trigger=trigger,
        started_by=by,
        lead_action=policy.disqualified_leads_action,
        periods={str(kind): days for kind, days in policy.days().items()},
    )
    counts = {}
    try:
        for kind, parts in reading.due_by_kind(policy, now).items():
            handle = _handler(kind, policy, now)
            per = IMPORTS_PER_BATCH if kind == RetentionKind.IMPORT_FILES else size
            held = sum(part.held.count() for part in parts)
            done = sum(_in_batches(part.todo, handle, size=per) for part in parts)
            counts[str(kind)] = {"done": done, "held": held}
            if kind == RetentionKind.WEBHOOK_LOGS:
                cutoff = reading.cutoffs(policy, now)[kind]
                spent = reading.spent_webhook_events(cutoff=cutoff)
                _in_batches(spent, _delete_events, size=size)
        purge_api_list_reads(now=now)
    except Exception as error:
        run.error = type(error).__name__
        raise
    finally:
        run.counts = counts
        run.finished_at = timezone.now()
        run.save(update_fields=["counts", "finished_at", "error"])
    return run
