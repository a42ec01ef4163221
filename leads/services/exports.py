"""Writes for exports built in the background: queue a job, build its file (the
task's body, run by `manage.py db_worker`), and remove files past their retention;
and the direct downloads' streams, which write their export log entry
(accounts.services.audit) as every lead export does.

The worker applies the job's query string again for the job's user, through the
same selector as the lead list (leads.selectors.exports.export_leads), so the file
holds the leads that user sees with those filters when the build runs, and no other.
The file is written to a temporary file and saved to storage only when complete:
a worker that dies mid-build leaves no partial file, only a job that shows it
stopped.
"""

import datetime
import tempfile

from django.conf import settings
from django.core.files import File
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import ExportChannel, ExportedRecords
from accounts.services.audit import log_export
from leads import exports
from leads.exports import write_xlsx
from leads.models import ExportFormat, ExportJob, ExportStatus
from leads.selectors import exports as reading
from leadsite.core.replicas import replica_reads
from leadsite.core.services import service

# The job's row is updated (progress and heartbeat) after this many leads.
PROGRESS_EVERY = 2000
WRITERS = {ExportFormat.XLSX: write_xlsx}


@service
def start_export(*, by, query: str, file_format: str = ExportFormat.XLSX) -> ExportJob:
    """Queue a background export of the lead list of `query` (its page and format
    keys dropped) for `by`, who alone may download the file. One row written; the
    caller enqueues leads.tasks.run_export with the job's id once this returned.

    The same export still waiting or being built (a second click) is returned
    instead of a new one; enqueuing it again is harmless (only one worker claims it).
    """
    query = reading.export_query(QueryDict(query))
    pending = ExportJob.objects.filter(
        created_by=by,
        query=query,
        file_format=file_format,
        status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING],
    ).first()
    if pending is not None and not reading.is_interrupted(pending):
        return pending
    job = ExportJob(created_by=by, query=query, file_format=file_format)
    job.full_clean()
    job.save()
    return job


def _claim(job_id) -> bool:
    now = timezone.now()
    return bool(
        ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
            status=ExportStatus.RUNNING, started_at=now, heartbeat_at=now
        )
    )


def _report(job, **fields):
    """Progress for the page that polls: one UPDATE, committed at once."""
    fields["heartbeat_at"] = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(**fields)


@service
def build_export(*, job_id: int) -> ExportJob | None:
    """The background task's body: remove expired files, claim the queued job, write
    its file PROGRESS_EVERY leads at a time (updating rows_done and the heartbeat
    after each), then store the file and mark the job ready. Returns None when the
    job was not queued (taken by another worker). A failure marks the job failed
    with the reason and is raised again for the worker's log. No transaction spans
    the build: each progress update is seen by the page at once."""
    purge_expired_exports()
    if not _claim(job_id):
        return None
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        if not job.created_by.is_active:
            raise PermissionError(
                gettext("The account that asked for this export is inactive.")
            )
        with replica_reads():
            leads = reading.export_leads(user=job.created_by, query=job.query)
            total = leads.count()
        _report(job, total_rows=total)
        with tempfile.TemporaryFile() as handle:
            # The file's headers, option labels and flags in the user's language
            # (else the one active: the worker's default).
            language = job.created_by.language or translation.get_language()
            with replica_reads(), translation.override(language):
                written = WRITERS[job.file_format](
                    leads,
                    handle,
                    progress=lambda done: _report(job, rows_done=done),
                    every=PROGRESS_EVERY,
                )
            job.file_size = handle.tell()
            handle.seek(0)
            job.file.save(job.download_name, File(handle), save=False)
    except Exception as error:
        job.status = ExportStatus.FAILED
        job.error = f"{type(error).__name__}: {error}"[:2000]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        raise
    job.status = ExportStatus.DONE
    job.rows_done = written
    job.total_rows = max(total, written)
    job.finished_at = job.heartbeat_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "rows_done",
            "total_rows",
            "file",
            "file_size",
            "finished_at",
            "heartbeat_at",
        ]
    )
    log_export(
        by=job.created_by,
        records=ExportedRecords.LEADS,
        channel=ExportChannel(job.file_format),
        query=job.query,
        row_count=written,
    )
    return job


def stream_csv_export(*, queryset, by, query: str, rows_per_chunk: int = 500):
    """The lead list's CSV download as byte chunks (leads.exports.csv_chunks), and
    its export log entry: written when the stream ends, complete or cut off by the
    browser, with the leads handed to the server by then. A stream never started
    (nothing sent) writes none. The leads are counted as they go out, so a large
    list is never counted beforehand."""
    sent = 0
    try:
        yield "\ufeff".encode()
        rows = exports.export_rows(queryset)
        buffer = [exports.csv_line(next(rows))]  # the header
        waiting = 0  # leads in the buffer
        for row in rows:
            buffer.append(exports.csv_line(row))
            waiting += 1
            if len(buffer) >= rows_per_chunk:
                sent, waiting = sent + waiting, 0
                chunk, buffer = "".join(buffer).encode(), []
                yield chunk
        sent += waiting
        if buffer:
            yield "".join(buffer).encode()
    finally:
        log_export(
            by=by,
            records=ExportedRecords.LEADS,
            channel=ExportChannel.CSV,
            query=query,
            row_count=sent,
        )


def xlsx_export_chunks(*, queryset, by, query: str, chunk_size: int = 64 * 1024):
    """The lead list's direct XLSX download as byte chunks (built in a temporary file
    first, as leads.exports.xlsx_chunks), and its export log entry with the leads
    written, once the file is built."""
    with tempfile.TemporaryFile() as handle:
        written = write_xlsx(queryset, handle)
        log_export(
            by=by,
            records=ExportedRecords.LEADS,
            channel=ExportChannel.XLSX,
            query=query,
            row_count=written,
        )
        handle.seek(0)
        while chunk := handle.read(chunk_size):
            yield chunk


@service
def purge_expired_exports(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of exports ready for more than LEADSITE_EXPORT_RETENTION_HOURS
    (their jobs stay, marked removed) and mark as failed the jobs whose worker
    stopped as long ago. Runs at the start of every export build; returns the files removed."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(hours=settings.LEADSITE_EXPORT_RETENTION_HOURS)
    removed = 0
    for job in ExportJob.objects.filter(
        status=ExportStatus.DONE, finished_at__lt=cutoff
    ):
        job.file.delete(save=False)
        job.status = ExportStatus.EXPIRED
        job.save(update_fields=["status", "file"])
        removed += 1
    ExportJob.objects.filter(
        status=ExportStatus.RUNNING, heartbeat_at__lt=cutoff
    ).update(
        status=ExportStatus.FAILED,
        error=gettext("The worker stopped before the file was complete."),
        finished_at=now,
    )
    return removed
