"""Reads about import batches: matches with existing leads, the preview, the
batches a user may see, and a batch's progress."""

from dataclasses import dataclass, field

from django.utils import timezone

from leads.models import (
    ImportBatch,
    ImportStatus,
    Lead,
)
from leads.selectors.imports.rows import ConvertedRow, converted_chunks
from leadsite.permissions import (
    business_unit_subtree_ids,
    is_administrator,
    is_manager,
    visible_to,
)

PREVIEW_ROWS = 10
PREVIEW_ERRORS = 200
# The preview checks this many rows in the request (a few seconds); the import itself
# checks every row and reports the rest.
PREVIEW_CHECK_LIMIT = 10_000
STALE_SECONDS = 60


def find_matches(rows: list[ConvertedRow], *, user) -> dict[int, Lead]:
    """Row index → the existing lead (in the user's scope) it matches: the same lead
    ID when the file has one, else the same email."""
    ids = {r.match_id for r in rows if r.match_id}
    emails = {r.fields["email"].strip() for r in rows if r.fields.get("email")}
    variants = emails | {e.lower() for e in emails}
    by_id, by_email = {}, {}
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
        lead = by_id.get(row.match_id) if row.match_id else None
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
    matches: list = field(default_factory=list)  # (line, lead)
    match_count: int = 0
    valid_rows: int = 0
    checked_rows: int = 0
    total_rows: int = 0

    @property
    def partial(self) -> bool:
        return self.checked_rows < self.total_rows


def import_preview(*, batch: ImportBatch, user) -> Preview:
    """Rows checked as the import will check them, before anything is written (the
    first PREVIEW_CHECK_LIMIT rows of a larger file): the first valid rows as they
    will be saved, every invalid row (the first PREVIEW_ERRORS listed) and the rows
    that match existing leads."""
    preview = Preview(total_rows=batch.total_rows)
    with batch.file.open("rb") as handle:
        for chunk in converted_chunks(handle, batch):
            if preview.checked_rows >= PREVIEW_CHECK_LIMIT:
                break
            preview.checked_rows += len(chunk)
            matches = find_matches([r for r in chunk if not r.errors], user=user)
            for row in chunk:
                if row.errors:
                    preview.invalid_rows += 1
                    for column, reason in row.errors:
                        if len(preview.invalid) < PREVIEW_ERRORS:
                            preview.invalid.append((row.line, column, reason))
                    continue
                preview.valid_rows += 1
                if row.index in matches:
                    preview.match_count += 1
                    if len(preview.matches) < PREVIEW_ERRORS:
                        preview.matches.append((row.line, matches[row.index]))
                if len(preview.sample) < PREVIEW_ROWS:
                    preview.sample.append(row)
    return preview


def list_batches(*, user):
    """Import batches the user may see: administrators all, managers those made by
    users of their business unit and below, everyone else their own."""
    qs = ImportBatch.objects.select_related("created_by")
    if is_administrator(user):
        return qs
    if is_manager(user) and user.business_unit_id:
        units = business_unit_subtree_ids(user.business_unit_id)
        return qs.filter(created_by__business_unit_id__in=units)
    return qs.filter(created_by=user)


def get_batch(*, pk, user) -> ImportBatch:
    return list_batches(user=user).get(pk=pk)


def is_interrupted(batch: ImportBatch) -> bool:
    """Running, but the worker has not reported for STALE_SECONDS: it stopped."""
    return batch.status == ImportStatus.RUNNING and (
        batch.heartbeat_at is None
        or (timezone.now() - batch.heartbeat_at).total_seconds() > STALE_SECONDS
    )


def progress(batch: ImportBatch) -> dict:
    """Rows done, percent, rows per second and seconds left."""
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
        "interrupted": is_interrupted(batch),
    }


def not_imported_rows(batch: ImportBatch, limit: int = PREVIEW_ERRORS):
    """The first rows of a batch that failed or were skipped, for the report."""
    return list(
        batch.rows.filter(outcome__in=["failed", "skipped"]).order_by("line")[:limit]
    )


def progress_context(batch: ImportBatch) -> dict:
    from leads.selectors.capture import routing_available

    return {
        "routing_available": routing_available(),
        "batch": batch,
        "progress": progress(batch),
        "failures": not_imported_rows(batch),
    }
