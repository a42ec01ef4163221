"""The files an erasure touches: uploaded import files rewritten without the
person's rows' values, lead exports that hold the person found and removed, the
person's attachments removed, and every removal checked.

Files are not transactional: an import file is rewritten (a new file) inside the
erasure's transaction, and its old file, the attachments and the exports are
removed only after the commit (remove_files), each path checked gone and the
result stored on the erasure, so a failure is visible and can be tried again.
"""

import csv
import io
import zipfile

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from openpyxl import load_workbook

from leads.models import ExportJob, ExportStatus, ImportBatch
from privacy.scrub import ERASED, Needles, scrub_text

# Lead fields an import column may fill that name, reach or locate the person.
PERSONAL_COLUMNS = {
    "salutation",
    "first_name",
    "last_name",
    "job_title",
    "email",
    "business_phone",
    "mobile_phone",
    "address_line1",
    "address_line2",
    "address_line3",
    "city",
    "state_or_province",
    "postal_code",
    "description",
    "original_message",
}


def _cells(values, *, personal_columns, needles):
    """A row's cells about the person: the personal columns blanked (kept as
    ERASED where a value was), every other cell scrubbed."""
    result = []
    for index, value in enumerate(values):
        if value in (None, ""):
            result.append(value)
        elif index in personal_columns:
            result.append(ERASED)
        elif isinstance(value, str):
            result.append(scrub_text(value, needles, about=True))
        else:
            result.append(value)
    return result


def _about(values, line, lines, needles) -> bool:
    return line in lines or any(
        isinstance(v, str) and needles.mentions(v) for v in values
    )


def _rewrite_csv(data: bytes, batch, lines, needles, personal) -> tuple[bytes, int]:
    encoding = batch.encoding or "utf-8-sig"
    text = data.decode(encoding, errors="replace")
    delimiter = batch.delimiter or ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    changed = 0
    for index, values in enumerate(
        csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    ):
        if index and _about(values, index + 1, lines, needles):
            new = _cells(values, personal_columns=personal, needles=needles)
            changed += new != values
            values = new
        writer.writerow(values)
    return out.getvalue().encode(encoding, errors="replace"), changed


def _rewrite_xlsx(data: bytes, batch, lines, needles, personal) -> tuple[bytes, int]:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    changed = 0
    for index, row in enumerate(sheet.iter_rows()):
        values = [cell.value for cell in row]
        if not index or not _about(values, index + 1, lines, needles):
            continue
        new = _cells(values, personal_columns=personal, needles=needles)
        for cell, value in zip(row, new, strict=True):
            if cell.value != value:
                cell.value = value
                changed += 1
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), changed


def rewrite_import_file(batch: ImportBatch, *, lines: set[int], needles: Needles):
    """Write a new file for `batch` with the person's rows (their `lines`, and any
    row naming them strongly) blanked in the personal columns and scrubbed
    elsewhere, point the batch at it and return the old file's path (to remove
    after the commit), or None when the file holds nothing of the person."""
    if not batch.file or not default_storage.exists(batch.file.name):
        return None
    with default_storage.open(batch.file.name, "rb") as handle:
        data = handle.read()
    personal = {
        int(i) for i, name in (batch.mapping or {}).items() if name in PERSONAL_COLUMNS
    }
    rewrite = _rewrite_xlsx if batch.file_format == "xlsx" else _rewrite_csv
    new, changed = rewrite(data, batch, lines, needles, personal)
    if not changed:
        return None
    old = batch.file.name
    name = (
        f"imports/{timezone.now():%Y/%m}/import-{batch.pk}.{batch.file_format or 'csv'}"
    )
    batch.file.name = default_storage.save(name, ContentFile(new))
    ImportBatch.objects.filter(pk=batch.pk).update(file=batch.file.name)
    return old


def _export_text(data: bytes, file_format: str) -> str:
    """The text of an export file: a workbook's XML parts, or the CSV itself."""
    if file_format == "xlsx" or data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "\n".join(
                    archive.read(name).decode("utf-8", errors="replace")
                    for name in archive.namelist()
                    if name.endswith(".xml")
                )
        except zipfile.BadZipFile:
            pass
    return data.decode("utf-8", errors="replace")


def exports_holding(needles: Needles) -> list[ExportJob]:
    """Ready exports whose file holds the person's email address, phone number or
    full name (read from storage: there are few, kept a limited time)."""
    found = []
    for job in ExportJob.objects.filter(status=ExportStatus.DONE).exclude(file=""):
        if not default_storage.exists(job.file.name):
            continue
        with default_storage.open(job.file.name, "rb") as handle:
            text = _export_text(handle.read(), job.file_format)
        if needles.mentions(text):
            found.append(job)
    return found


def remove_paths(entries: list[dict]) -> list[dict]:
    """Remove each file and check it is gone; returns the entries with `gone` (and
    the error, if any) set."""
    checked = []
    for entry in entries:
        entry = {**entry, "error": ""}
        path = entry["path"]
        try:
            if default_storage.exists(path):
                default_storage.delete(path)
            entry["gone"] = not default_storage.exists(path)
        except Exception as error:  # noqa: BLE001 - a storage's own errors: recorded
            entry["gone"] = False
            entry["error"] = str(error)[:200]
        checked.append(entry)
    return checked
