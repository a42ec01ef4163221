"""Reading import files: what a table is (format, encoding, delimiter, header, row
count), its rows one at a time (flat memory whatever the size), the column mapping
guessed from the header, each row converted to lead fields with the reasons it is
invalid, matches with existing leads, and the preview.

CSV goes through the standard library's csv reader over a decoding stream; XLSX
through openpyxl's read-only mode, which streams the sheet XML.
"""

import codecs
import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone

from leads.exports import (
    BOOL,
    CAMPAIGN,
    COLUMN_BY_FIELD,
    COLUMNS,
    DATE,
    ID,
    INT,
    MONEY,
    OPTION,
    unguard_formula,
)
from leads.models import (
    LEAD_STATE_OF_STATUS,
    Campaign,
    ImportBatch,
    ImportStatus,
    Lead,
)
from leadsite.permissions import (
    business_unit_subtree_ids,
    is_administrator,
    is_manager,
    visible_to,
)

REQUIRED_FIELDS = {"last_name": "Last Name", "subject": "Topic"}
PREVIEW_ROWS = 10
PREVIEW_ERRORS = 200
# The preview checks this many rows in the request (a few seconds); the import itself
# checks every row and reports the rest.
PREVIEW_CHECK_LIMIT = 10_000
CHUNK_ROWS = 500
STALE_SECONDS = 60
TRUE_WORDS = {"yes", "y", "true", "1", "x", "ja", "oui"}
FALSE_WORDS = {"no", "n", "false", "0", ""}
# Headers other tools write, besides D365 schema names and display names.
EXTRA_ALIASES = {
    "email": ["e-mail", "email address", "e-mail address", "mail"],
    "business_phone": ["phone", "telephone", "phone number", "work phone"],
    "mobile_phone": ["mobile", "cell", "cell phone"],
    "company_name": ["company", "organisation", "organization", "account name"],
    "last_name": ["surname", "family name"],
    "first_name": ["given name"],
    "subject": ["title of lead", "lead title", "topic name"],
    "source": ["source", "lead source code"],
    "website": ["web site", "url", "web"],
    "country": ["country"],
    "postal_code": ["zip", "postcode", "postal code"],
    "campaign": ["campaign", "campaign name"],
    "id": ["lead id", "id"],
}


class TableError(Exception):
    """The file is refused at upload; the message says why."""


def _key(text) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


def _aliases() -> dict[str, str]:
    found = {}
    for column in COLUMNS:
        if not (column.importable or column.kind == ID):
            continue
        names = [
            column.schema_name,
            column.label,
            column.field,
            Lead._meta.get_field(column.field).verbose_name
            if column.field not in ("owner", "id")
            else column.field,
        ]
        for name in [*names, *EXTRA_ALIASES.get(column.field, [])]:
            found.setdefault(_key(name), column.field)
    return found


ALIASES = _aliases()
TARGETS = [("", "— do not import —")] + [
    (c.field, f"{c.label} ({c.schema_name})" if c.kind != ID else "Existing lead ID")
    for c in COLUMNS
    if c.importable or c.kind == ID
]
TARGET_FIELDS = {value for value, _ in TARGETS if value}


@dataclass
class TableInfo:
    file_format: str
    encoding: str = ""
    delimiter: str = ""
    headers: list = field(default_factory=list)
    total_rows: int = 0


def _detect_encoding(handle) -> str:
    head = handle.read(4)
    handle.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := handle.read(1 << 20):
                if b"\x00" in chunk:
                    raise TableError(
                        "This file is not a table: it holds binary data. Upload a "
                        "CSV file or an Excel workbook (.xlsx)."
                    )
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
        finally:
            handle.seek(0)
    return "latin-1"


def _detect_delimiter(sample: str) -> str:
    first_line = sample.splitlines()[0] if sample else ""
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        counts = {d: first_line.count(d) for d in ",;\t"}
        return max(counts, key=counts.get) if any(counts.values()) else ","


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if not value.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value).strip()


def _raw_rows(handle, info: TableInfo):
    """Every row of the file as a list of strings, header included."""
    if info.file_format == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(handle, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                yield [_cell_text(value) for value in row]
        finally:
            workbook.close()
        return
    text = io.TextIOWrapper(handle, encoding=info.encoding, newline="")
    try:
        yield from csv.reader(text, delimiter=info.delimiter)
    finally:
        text.detach()


def iter_rows(handle, info: TableInfo, *, start: int = 0):
    """(row number in the file, values) for every data row from data row `start`
    (0-based) on; blank rows are passed over but keep their number."""
    rows = _raw_rows(handle, info)
    next(rows, None)  # header
    width = len(info.headers)
    for index, values in enumerate(rows):
        if index < start:
            continue
        if not any(v.strip() for v in values):
            continue
        values = (list(values) + [""] * width)[:width]
        yield index, index + 2, values


def inspect_table(handle, *, name: str, max_size: int) -> TableInfo:
    """Format, encoding, delimiter, header and number of data rows of an uploaded
    file, or TableError with the reason it is refused."""
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    if size == 0:
        raise TableError("The file is empty.")
    if size > max_size:
        raise TableError(
            f"The file is {size / 1048576:.1f} MiB; imports take at most "
            f"{max_size / 1048576:.0f} MiB. Split it into smaller files."
        )
    if handle.read(4) == b"PK\x03\x04":
        handle.seek(0)
        info = TableInfo(file_format="xlsx")
    else:
        handle.seek(0)
        if name.lower().endswith((".xlsx", ".xls", ".xlsm")):
            raise TableError(
                "This is not an Excel workbook we can read (.xlsx). Save it as .xlsx "
                "or CSV and upload it again."
            )
        encoding = _detect_encoding(handle)
        sample = handle.read(64 * 1024).decode(encoding, errors="replace")
        handle.seek(0)
        info = TableInfo(
            file_format="csv", encoding=encoding, delimiter=_detect_delimiter(sample)
        )
    try:
        rows = _raw_rows(handle, info)
        header = next(rows, None)
        count = sum(1 for row in rows if any(v.strip() for v in row))
    except TableError:
        raise
    except Exception as error:  # openpyxl raises many kinds on a broken workbook
        raise TableError(f"This file is not a table we can read ({error}).") from None
    finally:
        handle.seek(0)
    if not header or not any(h.strip() for h in header):
        raise TableError("The file is empty: it has no header row.")
    info.headers = [h.strip().lstrip("\ufeff") for h in header]
    if count == 0:
        raise TableError("The file has a header but no data rows.")
    info.total_rows = count
    mapping = auto_mapping(info.headers)
    for field_name, label in REQUIRED_FIELDS.items():
        if field_name not in mapping.values():
            raise TableError(
                f"The file has no {label} column ({COLUMN_BY_FIELD[field_name].schema_name}); "
                "every lead needs one. Found columns: "
                + ", ".join(h or "(blank)" for h in info.headers[:20])
            )
    return info


def auto_mapping(headers) -> dict[str, str]:
    """Column index (text) → lead field, from the header names; each field once."""
    mapping, used = {}, set()
    for index, header in enumerate(headers):
        target = ALIASES.get(_key(header))
        if target and target not in used:
            mapping[str(index)] = target
            used.add(target)
    return mapping


@dataclass
class Lookups:
    """What row conversion looks up once per batch, not per row."""

    campaigns: dict = field(default_factory=dict)

    @classmethod
    def load(cls):
        return cls(campaigns={c.name.lower(): c for c in Campaign.objects.all()})


def _option(column, text):
    choices = column.choices
    if re.fullmatch(r"-?\d+", text):
        code = int(text)
        if code in choices.values:
            return code
    labels = {str(label).lower(): value for value, label in choices.choices}
    if text.lower() in labels:
        return labels[text.lower()]
    raise ValueError(
        f"'{text}' is not a {column.label} code or label (e.g. "
        + ", ".join(f"{v} {lbl}" for v, lbl in choices.choices[:4])
        + ")."
    )


def _number(text, kind):
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", cleaned):
        cleaned = cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a number.") from None
    if kind == INT:
        if value != value.to_integral_value():
            raise ValueError(f"'{text}' is not a whole number.")
        return int(value)
    return value


def _convert(column, text, lookups):
    if column.kind == OPTION:
        return _option(column, text)
    if column.kind == BOOL:
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValueError(f"'{text}' is not yes or no.")
    if column.kind in (MONEY, INT):
        return _number(text, column.kind)
    if column.kind == DATE:
        try:
            return datetime.date.fromisoformat(text[:10])
        except ValueError:
            raise ValueError(f"'{text}' is not a date (use YYYY-MM-DD).") from None
    if column.kind == CAMPAIGN:
        campaign = lookups.campaigns.get(text.lower())
        if campaign is None:
            raise ValueError(f"There is no campaign named '{text}'.")
        return campaign
    if column.kind == ID:
        if not text.isdigit():
            raise ValueError(f"'{text}' is not a lead ID.")
        return int(text)
    return unguard_formula(text)


VALIDATE_EXCLUDE = ["status", "owner_user", "owner_team", "business_unit", "created_by"]


@dataclass
class ConvertedRow:
    index: int
    line: int
    fields: dict
    errors: list  # (column header, reason)
    match_id: int | None = None
    lead: Lead | None = None


def convert_row(index, line, values, *, mapping, headers, lookups) -> ConvertedRow:
    """One data row as lead fields (empty cells left out) and its errors, each with
    the column it is about. Validated with the model's own rules (full_clean)."""
    fields, errors, header_of = {}, [], {}
    match_id = None
    for key, target in mapping.items():
        column = COLUMN_BY_FIELD[target]
        header = headers[int(key)] or column.label
        header_of[target] = header
        text = values[int(key)].strip()
        if not text:
            continue
        try:
            value = _convert(column, text, lookups)
        except ValueError as error:
            errors.append((header, str(error)))
            continue
        if column.kind == ID:
            match_id = value
        else:
            fields[target] = value
    for target in REQUIRED_FIELDS:
        if target not in fields and not any(
            h == header_of.get(target) for h, _ in errors
        ):
            errors.append(
                (header_of.get(target, REQUIRED_FIELDS[target]), "This cell is empty.")
            )
    lead = Lead(**{k: v for k, v in fields.items()})
    if "status" in fields:
        lead.state = LEAD_STATE_OF_STATUS[fields["status"]]
    try:
        lead.full_clean(exclude=VALIDATE_EXCLUDE, validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            if name in REQUIRED_FIELDS and name not in fields:
                continue  # reported above
            header = header_of.get(name, name)
            errors.extend((header, message) for message in messages)
    return ConvertedRow(index, line, fields, errors, match_id, lead)


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


def converted_chunks(handle, batch: ImportBatch, *, start: int = 0):
    """Lists of ConvertedRow, CHUNK_ROWS at a time, from data row `start` on."""
    info = TableInfo(
        file_format=batch.file_format,
        encoding=batch.encoding,
        delimiter=batch.delimiter,
        headers=batch.headers,
    )
    lookups = Lookups.load()
    chunk = []
    for index, line, values in iter_rows(handle, info, start=start):
        chunk.append(
            convert_row(
                index,
                line,
                values,
                mapping=batch.mapping,
                headers=batch.headers,
                lookups=lookups,
            )
        )
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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
