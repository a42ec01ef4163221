"""Driving an import through its pages as a manager does, with the work done by the
worker: each step checks that its request only stored or queued the work, then runs
the queue (tests/task_worker.py). Tests using these set TASKS to DATABASE_TASKS."""

from django.core.files.uploadedfile import SimpleUploadedFile

from leads.models import ImportBatch, ImportStatus
from tests.task_worker import queued_tasks, run_queued_tasks


def csv_upload(text, name="leads.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def latest_batch():
    return ImportBatch.objects.latest("pk")


def upload(client, file, *, check=True):
    """Upload; the request only stores the file. With check, the worker then reads
    it (the batch waits for its mapping, or is refused)."""
    response = client.post("/leads/import/", {"file": file})
    if response.status_code == 302:
        batch = latest_batch()
        assert (batch.status, batch.headers, batch.total_rows) == (
            ImportStatus.CHECKING,
            [],
            0,
        ), "the upload request read the file"
        assert queued_tasks() == ["leads.tasks.check_import"]
        if check:
            run_queued_tasks()
    return response


def start(client, batch, *, allow_failures=False, **options):
    """Start with the guessed mapping and fills (`options` override them); the
    request only queues the import, the worker runs it. Returns the batch as the
    worker left it."""
    data = {f"col_{i}": v for i, v in batch.mapping.items()}
    data.update({f"fill_{name}": text for name, text in batch.fills.items()})
    data.update({"duplicate_mode": "skip", "action": "start", **options})
    response = client.post(f"/leads/import/{batch.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done) == (ImportStatus.QUEUED, 0), (
        "the start request imported rows"
    )
    run_queued_tasks(allow_failures=allow_failures)
    batch.refresh_from_db()
    return batch


def undo(client, batch, *, run=True, **kwargs):
    """Undo; the request only queues it. With run, the worker then does it."""
    response = client.post(f"/leads/import/{batch.pk}/undo/", **kwargs)
    batch.refresh_from_db()
    if batch.status == ImportStatus.UNDOING:
        assert queued_tasks() == ["leads.tasks.run_undo"]
        if run:
            run_queued_tasks()
            batch.refresh_from_db()
    return response
