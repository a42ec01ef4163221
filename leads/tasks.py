"""Background tasks (django-tasks; run by `manage.py db_worker`, inline in tests)."""

from django_tasks import task

from leads.services.imports import process_import


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
