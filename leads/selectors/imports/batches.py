"""Reads about import batches: matches with existing leads, the preview, the
batches a user may see, and a batch's progress."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.permissions import (
    visible_to,
)
from leads.imports.files import import_limits
from leads.imports.rows import ConvertedRow, converted_chunks
from leads.models import (
    ImportBatch,
    ImportStatus,
    Lead,
)
from leads.permissions import visible_import_batches

PREVIEW_ROWS = 10
PREVIEW_ERRORS = 200
# The preview checks this many rows in the request; the import itself checks every
# row and reports the rest.
PREVIEW_CHECK_LIMIT = 10_000
# ... and at most this many cells (rows × columns), since openpyxl's reading time
# grows with the cells (see README, Performance): a 200-column workbook is previewed
# on 500 rows.
PREVIEW_CELL_LIMIT = 100_000
STALE_SECONDS = 60
# A batch whose task no worker has taken for this long says that no worker seems to
# be running (db_worker polls the queue every second).
WORKER_WAIT_SECONDS = 60
# The task that takes a batch on from each waiting status (leads.tasks.NEXT_STEP).
STEP_TASKS = {
    ImportStatus.CHECKING: "leads.tasks.check_import",
    ImportStatus.QUEUED: "leads.tasks.run_import",
    ImportStatus.UNDOING: "leads.tasks.run_undo",
}
DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"
# A worker has (or is about to take) the batch in hand: its page polls.
WORKING = (
    ImportStatus.CHECKING,
    ImportStatus.QUEUED,
    ImportStatus.RUNNING,
    ImportStatus.UNDOING,
)


def find_matches(
    rows: list[ConvertedRow], *, user, system: str = ""
) -> dict[int, Lead]:
    """Row index → the existing lead (in the user's scope) it matches: the same
    record ID of the source system (a D365 export's lead GUID) when the file has
    one, else the same lead ID, else the same email."""
    external = {r.external_id for r in rows if r.external_id}
    ids = {r.match_id for r in rows if r.match_id}
    emails = {r.fields["email"].strip() for r in rows if r.fields.get("email")}
    variants = emails | {e.lower() for e in emails}
    by_external, by_id, by_email = {}, {}, {}
    if external:
        by_external = {
            lead.external_id: lead
            for lead in visible_to(
                user,
                Lead.objects.filter(external_system=system, external_id__in=external),
            )
        }
    if ids:
        by_id = {
            lead.pk: lead for lead in visible_to(user, Lead.objects.filter(pk__in=ids))
        }
    if variants:
        for lead in visible_to(user, Lead.objects.filter(email__in=variants)).order_by(
            "created_at"
        ):
            by_email.setdefault(lead.email.lower(), lead)
    found = {}
    for row in rows:
        lead = by_external.get(row.external_id) if row.external_id else None
        if lead is None and row.match_id:
            lead = by_id.get(row.match_id)
        if lead is None and row.fields.get("email"):
            lead = by_email.get(row.fields["email"].strip().lower())
        if lead is not None:
            found[row.index] = lead
    return found


@dataclass
class Preview:
    sample: list = field(default_factory=list)  # ConvertedRow, valid, first rows
    invalid: list = field(default_factory=list)  # (line, column, reason)
    invalid_rows: int = 0
    matches: list = field(default_factory=list)  # (line, lead or None, repeated line)
    match_count: int = 0
    valid_rows: int = 0
    checked_rows: int = 0
    total_rows: int = 0
    # (column, value) → [rows, what it becomes], for option values no product knows
    unknown_values: dict = field(default_factory=dict)
    # owner column text → [rows, user or None]
    owners: dict = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        return self.checked_rows < self.total_rows

    @property
    def new_rows(self) -> int:
        """Valid rows that match no existing lead and repeat no earlier row."""
        return self.valid_rows - self.match_count

    @property
    def unknown_list(self) -> list:
        return [
            (column, value, rows, becomes)
            for (column, value), (rows, becomes) in sorted(self.unknown_values.items())
        ]

    @property
    def owner_list(self) -> list:
        """(text, rows, user or None), unmatched first."""
        return sorted(
            ((text, rows, user) for text, (rows, user) in self.owners.items()),
            key=lambda item: (item[2] is not None, item[0].lower()),
        )

    @property
    def unmatched_owners(self) -> int:
        return sum(rows for _, rows, user in self.owner_list if user is None)


def import_preview(*, batch: ImportBatch, user) -> Preview:
    """Rows checked as the import will check them, before anything is written (the
    first PREVIEW_CHECK_LIMIT rows, and PREVIEW_CELL_LIMIT cells, of a larger file):
    the first valid rows as they will be saved, every invalid row (the first
    PREVIEW_ERRORS listed), the rows that match existing leads or repeat an earlier
    row of the file (the import treats both alike), option values no product knows
    (with what they become) and the owners named, matched to users or not."""
    preview = Preview(total_rows=batch.total_rows)
    limit = min(PREVIEW_CHECK_LIMIT, PREVIEW_CELL_LIMIT // max(len(batch.headers), 1))
    first_line = {}  # key → line of the first valid row with it
    with batch.file.open("rb") as handle:
        for chunk in converted_chunks(handle, batch):
            if preview.checked_rows >= limit:
                break
            preview.checked_rows += len(chunk)
            matches = find_matches(
                [r for r in chunk if not r.errors],
                user=user,
                system=batch.source_system,
            )
            for row in chunk:
                _count_row(preview, row, matches.get(row.index), first_line)
    return preview


def _count_row(preview, row, match, first_line):
    for column, value, becomes in row.notes:
        entry = preview.unknown_values.setdefault((column, value), [0, becomes])
        entry[0] += 1
    if row.owner_text:
        entry = preview.owners.setdefault(row.owner_text, [0, row.owner])
        entry[0] += 1
    if row.errors:
        preview.invalid_rows += 1
        for column, reason in row.errors:
            if len(preview.invalid) < PREVIEW_ERRORS:
                preview.invalid.append((row.line, column, reason))
        return
    preview.valid_rows += 1
    repeated = next(
        (first_line[k] for k in sorted(row.keys, key=str) if k in first_line), None
    )
    for k in row.keys:
        first_line.setdefault(k, row.line)
    if match is not None or repeated is not None:
        preview.match_count += 1
        if len(preview.matches) < PREVIEW_ERRORS:
            preview.matches.append((row.line, match, repeated))
    if len(preview.sample) < PREVIEW_ROWS:
        preview.sample.append(row)


def list_batches(*, user):
    """Import batches the user may see (leads.permissions.visible_import_batches)."""
    return visible_import_batches(user)


def get_batch(*, pk, user) -> ImportBatch:
    return list_batches(user=user).get(pk=pk)


def is_interrupted(batch: ImportBatch) -> bool:
    """A worker took the batch on (checking, running or undoing) but has not
    reported for STALE_SECONDS: it stopped. A running batch has a heartbeat from
    the moment it is claimed; a checking or undoing one has none until a worker
    starts on it (until then it waits in the queue)."""
    if batch.status == ImportStatus.RUNNING and batch.heartbeat_at is None:
        return True
    return (
        batch.status in WORKING
        and batch.heartbeat_at is not None
        and (timezone.now() - batch.heartbeat_at).total_seconds() > STALE_SECONDS
    )


def lost_tasks(batch: ImportBatch) -> list[DBTaskResult]:
    """The tasks of `batch` still marked running in the task table although the
    batch is interrupted (is_interrupted): their worker was killed or its machine
    lost, and nothing will ever finish them. None with another task backend."""
    if settings.TASKS["default"]["BACKEND"] != DATABASE_BACKEND:
        return []
    paths = {*STEP_TASKS.values()}
    return [
        task
        for task in DBTaskResult.objects.running()
        .filter(task_path__in=paths)
        .order_by("started_at")[:100]
        if (task.args_kwargs.get("args") or [None])[0] == batch.pk
    ]


def worker_wait(batch: ImportBatch) -> dict | None:
    """When the batch waits for a worker (queued, or checking or undoing before a
    worker reported) and its task has stayed unclaimed in the database queue for
    more than WORKER_WAIT_SECONDS: the seconds it has waited and how many other
    tasks are running (workers may be busy rather than absent). None otherwise,
    and always with another task backend."""
    if batch.status not in STEP_TASKS or batch.heartbeat_at is not None:
        return None
    if settings.TASKS["default"]["BACKEND"] != DATABASE_BACKEND:
        return None
    now = timezone.now()
    cutoff = now - datetime.timedelta(seconds=WORKER_WAIT_SECONDS)
    waiting = [
        task.enqueued_at
        for task in DBTaskResult.objects.ready()
        .filter(task_path=STEP_TASKS[batch.status], enqueued_at__lte=cutoff)
        .only("args_kwargs", "enqueued_at")[:100]
        if (task.args_kwargs.get("args") or [None])[0] == batch.pk
    ]
    if not waiting:
        return None
    return {
        "seconds": round((now - min(waiting)).total_seconds()),
        "busy": DBTaskResult.objects.running().count(),
    }


def progress(batch: ImportBatch) -> dict:
    """Rows done, percent, rows per second and seconds left; rows undone and to
    undo while undoing."""
    interrupted = is_interrupted(batch)
    done, total = batch.rows_done, max(batch.total_rows, 1)
    rate = None
    left = None
    if batch.started_at and done:
        end = batch.finished_at or timezone.now()
        seconds = max((end - batch.started_at).total_seconds(), 0.001)
        rate = done / seconds
        left = max(total - done, 0) / rate if rate else None
    return {
        "done": min(done, batch.total_rows),
        "total": batch.total_rows,
        "percent": min(100, round(100 * done / total)),
        "rate": rate,
        "left": left,
        "interrupted": interrupted,
        "polling": batch.status in WORKING and not interrupted,
        "can_undo": bool(batch.file)
        and (
            batch.status == ImportStatus.DONE
            or (batch.status == ImportStatus.RUNNING and interrupted)
        ),
        "undo_done": batch.undo_report.get("done", 0),
        "undo_total": batch.undo_report.get("total", 0),
        "worker_wait": worker_wait(batch),
    }


def not_imported_rows(batch: ImportBatch, limit: int = PREVIEW_ERRORS):
    """The first rows of a batch that failed or were skipped, for the report."""
    return list(
        batch.rows.filter(outcome__in=["failed", "skipped"]).order_by("line")[:limit]
    )


def progress_context(batch: ImportBatch) -> dict:
    owner_column = next(
        (batch.headers[int(i)] for i, t in batch.mapping.items() if t == "owner"), ""
    )
    return {
        "owner_column": owner_column,
        "batch": batch,
        "progress": progress(batch),
        "failures": not_imported_rows(batch),
        "limits": import_limits(),
    }
