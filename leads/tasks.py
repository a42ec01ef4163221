"""Background tasks (django-tasks; run by `manage.py db_worker`; tests run them inline
or, where the request must only queue them, with tests/task_worker.py)."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db import DatabaseBackend

from leads.models import ImportStatus
from leads.selectors.emails import due_email_ids
from leads.services import duplicates as duplicate_services
from leads.services.emails import CLAIM_HOLD, deliver_email
from leads.services.exports import build_export
from leads.services.imports import (
    check_import_file,
    process_import,
    process_undo,
    resume_stalled_imports,
)
from leads.services.mailboxes import poll_mailboxes as poll_inbound_mailboxes
from leads.services.routing import reroute_overdue_leads
from leads.services.scoring import rebuild_scores, request_rebuild


@task()
def check_import(batch_id: int) -> dict | None:
    """Read and check an uploaded batch's file; returns its rows, or its refusal."""
    batch = check_import_file(batch_id=batch_id)
    if batch is None:
        return None
    return {"status": batch.status, "rows": batch.total_rows, "refusal": batch.refusal}


@task()
def run_import(batch_id: int) -> dict | None:
    """Import a queued batch; returns its counters."""
    batch = process_import(batch_id=batch_id)
    if batch is None:
        return None
    return {
        "created": batch.created_count,
        "updated": batch.updated_count,
        "skipped": batch.skipped_count,
        "failed": batch.failed_count,
    }


@task()
def run_undo(batch_id: int, user_id: int) -> dict | None:
    """Undo a batch queued for undoing, on behalf of the user who asked."""
    by = get_user_model().objects.get(pk=user_id)
    batch = process_undo(batch_id=batch_id, by=by)
    if batch is None:
        return None
    report = batch.undo_report
    return {
        "deleted": report["deleted"],
        "restored": report["restored"],
        "kept": len(report["kept"]),
    }


# The task that takes a batch on from each status a service leaves it in.
NEXT_STEP = {
    ImportStatus.CHECKING: check_import,
    ImportStatus.QUEUED: run_import,
    ImportStatus.UNDOING: run_undo,
}


def enqueue_next_step(batch, *, by) -> None:
    """Queue the worker's next step for a batch a service has just moved on (call it
    after the service's transaction has committed)."""
    step = NEXT_STEP[batch.status]
    if step is run_undo:
        step.enqueue(batch.pk, by.pk)
    else:
        step.enqueue(batch.pk)


@task()
def resume_stalled() -> dict:
    """The periodic job (settings.LEADSITE_SCHEDULES): imports and checks whose
    worker stopped reporting (killed mid-import) go to a worker again, which goes
    on after their last committed chunk; returns the batches resumed."""
    batches = resume_stalled_imports()
    for batch in batches:
        enqueue_next_step(batch, by=batch.created_by)
    return {"resumed": [batch.pk for batch in batches]}


@task()
def run_export(job_id: int) -> dict | None:
    """Build a queued export's file; returns how many leads it holds."""
    job = build_export(job_id=job_id)
    if job is None:
        return None
    return {"rows": job.rows_done, "bytes": job.file_size}


@task()
def rebuild_lead_scores(rebuild_id: int) -> dict | None:
    """Recount the scoring tables and rescore every open lead (nightly, or when an
    administrator asks); returns what it did."""
    rebuild = rebuild_scores(rebuild_id=rebuild_id)
    if rebuild is None:
        return None
    return {"closed": rebuild.closed_counted, "rescored": rebuild.done}


# --- Periodic jobs (settings.LEADSITE_SCHEDULES; queued by `manage.py run_scheduler`)


@task()
def reroute_overdue() -> dict:
    """Re-route the leads nobody contacted within their rule's response time (as
    `manage.py reroute_overdue`); fails, naming them, when some lead could not be
    re-routed (the others are done; the next run tries those again)."""
    result = reroute_overdue_leads()
    if result.failed:
        raise RuntimeError(
            f"{len(result.failed)} overdue lead(s) could not be re-routed: "
            + "; ".join(f"lead {lead.pk}: {why}" for lead, why in result.failed)
        )
    return {"rerouted": len(result.rerouted), "skipped": len(result.skipped)}


@task()
def scheduled_score_rebuild() -> dict | None:
    """The nightly rebuild: queue one (or take the one already queued, say one left
    waiting while another ran) and run it here; None when another rebuild is
    running (this one stays queued for the next run) or another worker took it."""
    rebuild, _ = request_rebuild(by=None)
    return rebuild_lead_scores.call(rebuild.pk)


# --- Email from the record (leads/services/emails.py) --------------------------------


@task()
def send_email(email_id: int) -> dict:
    """Send one queued email; after a transient failure, queue this task again for
    the time the next attempt is due (the database queue defers it)."""
    delivery = deliver_email(email_id=email_id)
    if delivery.retry_at is not None and send_email.get_backend().supports_defer:
        send_email.using(run_after=delivery.retry_at).enqueue(email_id)
    return {"state": delivery.state, "reason": delivery.reason}


def enqueue_send(email_id: int) -> None:
    """Queue the send of an email a service has just queued: with the database
    queue the task row is written in the caller's transaction (so it commits with
    the email); other backends (the tests' immediate one) after commit."""
    if isinstance(send_email.get_backend(), DatabaseBackend):
        send_email.enqueue(email_id)
    else:
        transaction.on_commit(lambda: send_email.enqueue(email_id), robust=True)


@task()
def send_queued_emails() -> dict:
    """The sweep (settings.LEADSITE_SCHEDULES): send every queued email whose
    attempt is due and that no running worker holds (a lost task, a dead worker,
    a backend that cannot defer retries)."""
    states = [
        deliver_email(email_id=pk).state
        for pk in due_email_ids(now=timezone.now(), hold=CLAIM_HOLD)
    ]
    return {state: states.count(state) for state in set(states)}


@task()
def poll_mailboxes() -> dict:
    """Fetch the new mail of every inbound alias with an IMAP mailbox (each message
    stored, then marked seen); fails, naming them, when a mailbox could not be read
    or a message not stored (the rest are done; the next run tries again)."""
    results = poll_inbound_mailboxes()
    failed = {address: r.errors for address, r in results.items() if r.errors}
    if failed:
        raise RuntimeError(
            "; ".join(f"{address}: {' '.join(e)}" for address, e in failed.items())
        )
    return {
        address: {"stored": r.stored, "repeated": r.repeated}
        for address, r in results.items()
    }


@task()
def run_duplicate_scan(scan_id: int) -> dict | None:
    """Check the existing leads against the published duplicate rules; returns
    how many groups it found."""
    scan = duplicate_services.run_duplicate_scan(scan_id=scan_id)
    return None if scan is None else {"groups": scan.group_count}


# --- Mass update of leads (leads/services/mass_update.py) ----------------------------
from leads.models import MassUpdateStatus  # noqa: E402
from leads.services import mass_update as mass_update_services  # noqa: E402
from leads.services import mass_update_undo  # noqa: E402

# A mass update of at most this many leads runs in the request that starts it (or
# undoes it); a larger one goes to a worker, its page showing the progress.
MASS_UPDATE_INLINE_ROWS = 200


def _mass_update_counts(job) -> dict | None:
    if job is None:
        return None
    return {
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "skipped": job.skipped_count,
        "restored": job.restored_count,
        "undo_skipped": job.undo_skipped_count,
    }


@task()
def run_mass_update(mass_update_id: int, user_id: int) -> dict | None:
    """Apply a queued mass update on behalf of the user who started it."""
    by = get_user_model().objects.get(pk=user_id)
    return _mass_update_counts(
        mass_update_services.process_mass_update(mass_update_id=mass_update_id, by=by)
    )


@task()
def run_mass_update_undo(mass_update_id: int, user_id: int) -> dict | None:
    """Undo a mass update on behalf of the user who asked."""
    by = get_user_model().objects.get(pk=user_id)
    return _mass_update_counts(
        mass_update_undo.process_mass_update_undo(mass_update_id=mass_update_id, by=by)
    )


def start_mass_update_step(job, *, by) -> None:
    """Run a mass update (or its undo) the services just queued: here and now when
    it is small (MASS_UPDATE_INLINE_ROWS), else in a worker. Call after commit."""
    step = (
        run_mass_update_undo
        if job.status == MassUpdateStatus.UNDOING
        else run_mass_update
    )
    if job.total <= MASS_UPDATE_INLINE_ROWS:
        step.call(job.pk, by.pk)
    else:
        step.enqueue(job.pk, by.pk)


# --- Consent (leads/services/consent.py) ---------------------------------------------
from django.conf import settings  # noqa: E402
from django.utils import translation  # noqa: E402

from leads.services import consent as consent_services  # noqa: E402


@task()
def send_consent_confirmation(
    event_ids: list[int], address: str, base_url: str, language: str
) -> dict:
    """Email the double opt-in link for consents a capture form recorded as
    pending, in the visitor's language."""
    with translation.override(language):
        sent = consent_services.send_consent_confirmation(
            event_ids=event_ids, address=address, base_url=base_url
        )
    return {"sent": sent}


def enqueue_consent_confirmation(event_ids: list[int], address: str, request) -> None:
    """Queue the double opt-in email once the capture has committed: its link on
    LEADSITE_SITE_URL (else the address the visitor used), in the page's language."""
    base_url = settings.LEADSITE_SITE_URL or request.build_absolute_uri("/")
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(
        lambda: send_consent_confirmation.enqueue(
            list(event_ids), address, base_url, language
        ),
        robust=True,
    )


@task()
def flag_unconfirmed_consents() -> dict:
    """The daily job (settings.LEADSITE_SCHEDULES): flag the consents whose double
    opt-in stayed unconfirmed past LEADSITE_CONSENT_CONFIRMATION_DAYS."""
    return {"flagged": consent_services.flag_unconfirmed_consents()}


# --- The source report's summary -----------------------------------------------------
# Its background refresh is declared beside the one decision to queue it, which every
# reader of the report takes (leads/reports/freshness.py).
from leads.reports.freshness import refresh_source_report  # noqa: E402

__all__ = ["refresh_source_report"]
