"""A batch from upload to start: store the file (the web request), read and check
it (the worker), set its mapping, queue it, resume it."""

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from leads import imports as parsing
from leads.exceptions import TransitionRefused, WorkerLost
from leads.models import ImportBatch, ImportStatus
from leads.selectors import imports as reading
from leadsite.core.events import emit
from leadsite.core.services import service

# Seconds between two progress writes while the worker reads a file.
PROGRESS_SECONDS = 1.0


@service
@transaction.atomic
def create_import_batch(*, upload, by) -> ImportBatch:
    """Store an uploaded file as a new batch waiting to be read (checking), or raise
    parsing.TableError when its size or first bytes already refuse it (empty, too
    big, named .xlsx but not a workbook). Reads nothing else: the worker reads the
    file (check_import_file); the caller queues that after commit."""
    file_format = parsing.sniff_upload(
        upload, name=upload.name, max_size=settings.LEADSITE_IMPORT_MAX_SIZE
    )
    batch = ImportBatch(
        created_by=by,
        original_name=upload.name[:255],
        file_format=file_format,
        status=ImportStatus.CHECKING,
    )
    batch.file.save(
        f"import-{timezone.now():%Y%m%d%H%M%S}.{file_format}", upload, save=False
    )
    batch.full_clean()
    batch.save()
    return batch


def _progress_writer(batch_id):
    """progress(rows) for inspect_table: the rows read so far and a heartbeat, at
    most once every PROGRESS_SECONDS."""
    last = time.monotonic()

    def write(rows):
        nonlocal last
        now = time.monotonic()
        if now - last < PROGRESS_SECONDS:
            return
        last = now
        ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.CHECKING).update(
            total_rows=rows, heartbeat_at=timezone.now()
        )

    return write


@service
def check_import_file(*, batch_id: int) -> ImportBatch | None:
    """The worker's reading of an uploaded file: its format details, header and data
    rows, against the limits (parsing.import_limits). The batch then waits for its
    mapping, guessed from the header, or is refused with the reason. While reading,
    the rows counted so far and a heartbeat are written every PROGRESS_SECONDS.
    Returns None when the batch is no longer being checked."""
    started = ImportBatch.objects.filter(
        pk=batch_id, status=ImportStatus.CHECKING
    ).update(heartbeat_at=timezone.now(), total_rows=0)
    if not started:
        return None
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    # The refusal and the proposed fills in the importing user's language.
    with translation.override(batch.created_by.language or translation.get_language()):
        try:
            with batch.file.open("rb") as handle:
                info = parsing.inspect_table(
                    handle,
                    file_format=batch.file_format,
                    limits=parsing.import_limits(),
                    progress=_progress_writer(batch_id),
                )
        except parsing.TableError as error:
            return _finish_check(batch_id, refusal=str(error))
        except FileNotFoundError:
            return _finish_check(
                batch_id,
                refusal=gettext(
                    "The uploaded file is no longer stored; upload it again."
                ),
            )
        return _finish_check(batch_id, info=info)


@transaction.atomic
def _finish_check(batch_id, *, info=None, refusal="") -> ImportBatch | None:
    batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status != ImportStatus.CHECKING:
        return None  # another worker finished it first
    if refusal:
        batch.status = ImportStatus.REFUSED
        batch.refusal = refusal
    else:
        batch.status = ImportStatus.MAPPING
        batch.encoding = info.encoding
        batch.delimiter = info.delimiter
        batch.headers = info.headers
        batch.source_system = parsing.detect_system(info.headers)
        batch.mapping = parsing.auto_mapping(info.headers, batch.source_system)
        batch.fills = parsing.auto_fills(batch.mapping)
        batch.total_rows = info.total_rows
    batch.heartbeat_at = None
    batch.full_clean()
    batch.save()
    if refusal:
        emit("import.refused", batch)
    return batch


# What a fill's {placeholders} may name: the row's lead fields, and its full name.
FILL_FIELDS = (
    set(parsing.TARGET_FIELDS) - {"id", "owner", "created_at", "external_id"}
) | {"full_name"}


def _check_fills(fills) -> None:
    for target, template in fills.items():
        unknown = {
            name
            for name in parsing.rows.PLACEHOLDER.findall(template)
            if name not in FILL_FIELDS
        }
        if unknown:
            label = parsing.REQUIRED_FIELDS[target]
            raise ValidationError(
                gettext(
                    "%(field)s: the template names no lead field %(names)s (use "
                    "field names such as {company_name}, {first_name}, {last_name})."
                )
                % {
                    "field": label,
                    "names": ", ".join(f"{{{name}}}" for name in sorted(unknown)),
                }
            )


@service
@transaction.atomic
def set_import_options(
    *, batch, by, mapping, duplicate_mode, owner_user=None, fills=None
):
    """Change a waiting batch's column mapping, required-field fills, duplicate
    choice and owner. Every required field needs a column (Last Name: or a full
    name, split) or a fill: a constant text, or a template whose {placeholders}
    name lead fields."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.MAPPING:
        raise TransitionRefused(gettext("This import has already started."))
    fills = {k: v.strip() for k, v in (fills or {}).items() if v and v.strip()}
    targets = [t for t in mapping.values() if t]
    if len(targets) != len(set(targets)):
        raise ValidationError(gettext("Each lead field can take one column only."))
    given = set(targets) | set(fills)
    if "full_name" in given:
        given.add("last_name")
    missing = [
        str(label)
        for name, label in parsing.REQUIRED_FIELDS.items()
        if name not in given
    ]
    if missing:
        raise ValidationError(
            gettext("Map a column to %(fields)s, or give a text or template.")
            % {"fields": gettext(" and ").join(missing)}
        )
    _check_fills(fills)
    batch.mapping = {k: v for k, v in mapping.items() if v}
    batch.fills = fills
    batch.duplicate_mode = duplicate_mode
    batch.owner_user = owner_user
    batch.full_clean()
    batch.save()
    return batch


@service
@transaction.atomic
def start_import(*, batch, by) -> ImportBatch:
    """Queue a waiting batch (the caller enqueues the task after commit)."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.MAPPING:
        raise TransitionRefused(gettext("This import has already started."))
    batch.status = ImportStatus.QUEUED
    batch.save(update_fields=["status"])
    return batch


@service
@transaction.atomic
def resume_import(*, batch, by) -> ImportBatch:
    """Hand an interrupted batch to a worker again (the caller enqueues the task
    after commit): an import goes on after its last committed row, an undo after
    its last undone row, a check reads the file again."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if not reading.is_interrupted(batch):
        raise TransitionRefused(gettext("This import is not interrupted."))
    # The stopped worker's task would stay "running" in the task table for ever.
    for task in reading.lost_tasks(batch):
        task.set_failed(
            WorkerLost(
                f"The worker stopped while running this task; import {batch.pk} "
                f"was resumed by {by} with a new task."
            )
        )
    if batch.status == ImportStatus.RUNNING:
        batch.status = ImportStatus.QUEUED
    batch.heartbeat_at = None
    batch.save(update_fields=["status", "heartbeat_at"])
    return batch


@service
def resume_stalled_imports() -> list[ImportBatch]:
    """The periodic job's writes: every batch being checked or imported whose
    worker stopped reporting (reading.is_interrupted: killed, or its machine lost)
    is resumed as its Resume button does, on behalf of the user who started it;
    the caller queues the next steps. An interrupted undo keeps its button."""
    stalled = []
    working = (ImportStatus.CHECKING, ImportStatus.RUNNING)
    for batch in ImportBatch.objects.filter(status__in=working).select_related(
        "created_by"
    ):
        if reading.is_interrupted(batch):
            try:
                stalled.append(resume_import(batch=batch, by=batch.created_by))
            except TransitionRefused:  # it reported meanwhile
                continue
    return stalled
