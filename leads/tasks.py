"""Background tasks (django-tasks; run by `manage.py db_worker`; tests run them inline
or, where the request must only queue them, with tests/task_worker.py)."""

from django.contrib.auth import get_user_model
from django_tasks import task

from leads.models import ImportStatus
from leads.services.exports import build_export
from leads.services.imports import check_import_file, process_import, process_undo
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
