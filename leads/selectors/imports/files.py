"""Reading import files: what a table is (format, encoding, delimiter, header, row
count), its rows one at a time (flat memory whatever the size), and the column
mapping guessed from the header.

CSV goes through the standard library's csv reader over a decoding stream; XLSX
through openpyxl's read-only mode, which streams the sheet XML.
"""

import codecs
import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from leads.exports import (
    COLUMN_BY_FIELD,
    COLUMNS,
    ID,
)
from leads.models import (
    Lead,
)

REQUIRED_FIELDS = {"last_name": "Last Name", "subject": "Topic"}
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
