"""Undoing an import: the request queues it (undo_import), the worker does it
(process_undo), UNDO_CHUNK rows a transaction, each committed with the report so
far and the last row undone, so a worker that dies mid-way leaves an undo that
goes on after that row."""

from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from leads.exceptions import TransitionRefused
from leads.models import (
    Activity,
    ImportBatch,
    ImportStatus,
    Lead,
    Note,
    RowOutcome,
)
from leads.selectors import imports as reading
from leads.services.scoring import count_closed, score_leads
from leadsite.core.services import service, through

UNDO_CHUNK = 1000


def _undoable_rows(batch):
    return batch.rows.filter(
        outcome__in=[RowOutcome.CREATED, RowOutcome.UPDATED], lead__isnull=False
    )


@service
@transaction.atomic
def undo_import(*, batch, by) -> ImportBatch:
    """Queue the undo of a batch (the caller enqueues the task after commit; the
    worker's process_undo does it).

    Refused while the batch is running (an interrupted batch can be undone), before
    it has started, and once it is undone or being undone."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == ImportStatus.UNDONE:
        raise TransitionRefused(gettext("This import was already undone."))
    if not batch.file:
        # The retention policy removed its file and row report (privacy.services.retention).
        raise TransitionRefused(
            gettext(
                "This import's file and row report were removed under the retention "
                "policy: there is nothing left to undo."
            )
        )
    if batch.status == ImportStatus.UNDOING:
        raise TransitionRefused(gettext("This import is already being undone."))
    if batch.status in (
        ImportStatus.CHECKING,
        ImportStatus.REFUSED,
        ImportStatus.MAPPING,
    ):
        raise TransitionRefused(
            gettext("This import has not started: nothing to undo.")
        )
    if batch.status in (
        ImportStatus.QUEUED,
        ImportStatus.RUNNING,
    ) and not reading.is_interrupted(batch):
        raise TransitionRefused(
            gettext("This import is still running; wait for it to finish.")
        )
    batch.status = ImportStatus.UNDOING
    batch.heartbeat_at = None
    batch.undo_report = {
        "deleted": 0,
        "restored": 0,
        "kept": [],
        "done": 0,
        "total": _undoable_rows(batch).count(),
        "line": 0,
    }
    batch.save(update_fields=["status", "heartbeat_at", "undo_report"])
    return batch


def _worked_on(lead, row, has_timeline) -> str:
    if lead.modified_at != row.lead_modified_at:
        when = date_format(
            timezone.localtime(lead.modified_at), "SHORT_DATETIME_FORMAT"
        )
        return gettext("changed on %(when)s after the import") % {"when": when}
    if has_timeline:
        return gettext("has activities or notes logged since the import")
    return ""


def _undo_rows(rows, report) -> None:
    """Delete the leads these rows created and restore the fields they updated,
    except where someone worked on the lead since (kept, with the reason)."""
    ids = [r.lead_id for r in rows]
    leads = Lead.objects.in_bulk(ids)
    busy = set(
        Activity.objects.filter(lead_id__in=ids).values_list("lead_id", flat=True)
    ) | set(Note.objects.filter(lead_id__in=ids).values_list("lead_id", flat=True))
    to_delete, restored = [], []
    for row in rows:
        lead = leads.get(row.lead_id)
        if lead is None:
            continue
        why = _worked_on(lead, row, lead.pk in busy)
        if why:
            report["kept"].append(
                {"line": row.line, "lead": lead.pk, "name": str(lead), "why": why}
            )
            continue
        if row.outcome == RowOutcome.CREATED:
            to_delete.append(lead.pk)
        else:
            for attname, value in row.previous.items():
                setattr(lead, attname, value)
            lead.full_clean(exclude=["status"])
            lead.save()
            restored.append(lead.pk)
            report["restored"] += 1
    score_leads(restored)
    if to_delete:
        count_closed(to_delete, -1)
        Lead.objects.filter(pk__in=to_delete).delete()
        report["deleted"] += len(to_delete)


@service
@through("import")
def process_undo(*, batch_id: int, by) -> ImportBatch | None:
    """The background task's body: delete the leads a batch created and restore the
    fields it updated, except where someone worked on the lead since (it is kept
    and the report says why), then mark the batch undone.

    UNDO_CHUNK rows a transaction, with the batch row locked, after the last row
    undone that the report records; two workers on one batch take turns. Returns
    None when the batch is not being undone."""
    # The report's reasons in the language of the user who asked.
    with translation.override(
        getattr(by, "language", "") or translation.get_language()
    ):
        return _undo_chunks(batch_id)


def _undo_chunks(batch_id):
    while True:
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
            if batch.status != ImportStatus.UNDOING:
                return None
            report = batch.undo_report
            rows = list(
                _undoable_rows(batch)
                .filter(line__gt=report["line"])
                .order_by("line")[:UNDO_CHUNK]
            )
            now = timezone.now()
            if rows:
                _undo_rows(rows, report)
                report["line"] = rows[-1].line
                report["done"] += len(rows)
            else:
                batch.status = ImportStatus.UNDONE
                batch.undone_at = now
            batch.heartbeat_at = now
            batch.undo_report = report
            batch.save(
                update_fields=["status", "undone_at", "heartbeat_at", "undo_report"]
            )
            if not rows:
                return batch
