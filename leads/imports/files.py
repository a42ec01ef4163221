"""Reading import files: what a table is (format, encoding, delimiter, header, row
count), its rows one at a time (flat memory whatever the size), and the column
mapping guessed from the header.

CSV goes through the standard library's csv reader over a decoding stream; XLSX
through openpyxl's read-only mode, which streams the sheet XML.

The upload request only sniffs the file (sniff_upload: size and format, constant
time); the worker reads it whole (inspect_table) and refuses it past the limits
(import_limits) as soon as one is passed.
"""

import codecs
import csv
import functools
import io
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leads.exports import (
    COLUMNS,
    ID,
)
from leads.imports import sources
from leads.imports.cells import cell_text, detect_delimiter
from leads.models import (
    Lead,
)

REQUIRED_FIELDS = {"last_name": _("Last Name"), "subject": _("Topic")}
# D365 writes its "Do not allow ..." flags as "Do Not Allow" (set) and "Allow".
TRUE_WORDS = {"yes", "y", "true", "1", "x", "ja", "oui", "do not allow"}
FALSE_WORDS = {"no", "n", "false", "0", "", "allow", "nein", "non"}


class TableError(Exception):
    """The file is refused at upload; the message says why."""


_key = sources.key


def _column_aliases() -> dict[str, str]:
    """Header key → field, from the D365 schema names and display names (and the
    field's own names) of leads.exports.COLUMNS."""
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
        for name in names:
            found.setdefault(_key(name), column.field)
    return found


def aliases(system: str = "") -> dict[str, str]:
    """Header key → target for a file of `system`: that product's own meanings,
    then D365 schema and display names, then what other tools write."""
    found = {
        k: v
        for k, v in sources.header_aliases(system).items()
        if k in _SYSTEM_KEYS.get(system, set())
    }
    for k, v in {**_COMMON, **_COLUMN_ALIASES}.items():
        found.setdefault(k, v)
    return found


_COLUMN_ALIASES = _column_aliases()
_COMMON = {k: v for k, v in sources.header_aliases("").items()}
_SYSTEM_KEYS = {
    system: {_key(name) for names in headers.values() for name in names}
    for system, headers in sources.SYSTEM_HEADERS.items()
}
ALIASES = aliases()
TARGETS = (
    [("", _("— do not import —"))]
    + [
        (
            c.field,
            format_lazy("{} ({})", c.label, c.schema_name)
            if c.kind != ID
            else _("Existing lead ID"),
        )
        for c in COLUMNS
        if c.importable or c.kind == ID
    ]
    + sources.EXTRA_TARGETS
)
TARGET_FIELDS = {value for value, _ in TARGETS if value}


@dataclass
class TableInfo:
    file_format: str
    encoding: str = ""
    delimiter: str = ""
    headers: list = field(default_factory=list)
    total_rows: int = 0


@dataclass(frozen=True)
class ImportLimits:
    """What an import file may be; the upload page states these."""

    max_size: int  # bytes of the file
    max_columns: int
    max_rows: int  # data rows
    max_unpacked: int  # bytes of a workbook's parts unpacked
    max_ratio: int  # unpacked size / packed size of a workbook


def import_limits() -> ImportLimits:
    return ImportLimits(
        max_size=settings.LEADSITE_IMPORT_MAX_SIZE,
        max_columns=settings.LEADSITE_IMPORT_MAX_COLUMNS,
        max_rows=settings.LEADSITE_IMPORT_MAX_ROWS,
        max_unpacked=settings.LEADSITE_IMPORT_MAX_UNPACKED_SIZE,
        max_ratio=settings.LEADSITE_IMPORT_MAX_COMPRESSION_RATIO,
    )


def _size(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")


def sniff_upload(handle, *, name: str, max_size: int) -> str:
    """The format ("csv" or "xlsx") of an uploaded file from its size, first bytes
    and name, or TableError; reads 4 bytes, so the upload request stays short."""
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    if size == 0:
        raise TableError(gettext("The file is empty."))
    if size > max_size:
        raise TableError(
            gettext(
                "The file is %(size)s; imports take files up to %(limit)s. Split it "
                "into smaller files."
            )
            % {"size": _size(size), "limit": _size(max_size)}
        )
    head = handle.read(4)
    handle.seek(0)
    if head == b"PK\x03\x04":
        return "xlsx"
    if name.lower().endswith((".xlsx", ".xls", ".xlsm")):
        raise TableError(
            gettext(
                "This is not an Excel workbook we can read (.xlsx). Save it as .xlsx "
                "or CSV and upload it again."
            )
        )
    return "csv"


def _check_workbook_size(handle, limits: ImportLimits) -> None:
    """Refuse a workbook that unpacks too large or too far (a zip bomb), from the
    sizes its zip directory declares, before any part is unpacked. Python's zipfile
    (which openpyxl reads through) never unpacks a part beyond its declared size."""
    try:
        with zipfile.ZipFile(handle) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise TableError(
            gettext("This file is not a table we can read (%(error)s).")
            % {"error": error}
        ) from None
    finally:
        handle.seek(0)
    unpacked = sum(part.file_size for part in parts)
    packed = max(sum(part.compress_size for part in parts), 1)
    if unpacked > limits.max_unpacked:
        raise TableError(
            gettext(
                "This workbook unpacks to %(size)s; imports take workbooks that "
                "unpack to at most %(limit)s. Save it as CSV or split it into "
                "smaller files."
            )
            % {"size": _size(unpacked), "limit": _size(limits.max_unpacked)}
        )
    if unpacked / packed > limits.max_ratio:
        raise TableError(
            gettext(
                "This workbook unpacks to %(ratio)s times its size (at most "
                "%(limit)s times is accepted): that is not a spreadsheet's data. "
                "Save it again from your spreadsheet program, or as CSV, and upload "
                "it again."
            )
            % {
                "ratio": number_format(
                    unpacked / packed, decimal_pos=0, force_grouping=True
                ),
                "limit": number_format(limits.max_ratio, force_grouping=True),
            }
        )


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
                        gettext(
                            "This file is not a table: it holds binary data. Upload "
                            "a CSV file or an Excel workbook (.xlsx)."
                        )
                    )
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
        finally:
            handle.seek(0)
    return "latin-1"


@functools.cache
def _workbook_reader():
    """openpyxl's read-only workbook reader, with sheets that skip openpyxl's sizing.

    A read-only sheet looks for the <dimension> its XML states before its rows, and
    parses the whole sheet when there is none (openpyxl's own write-only files and
    LeadSite's exports have none): a whole extra pass over a large sheet before its
    first row, on every preview. Nor is a stated dimension to be trusted (it may be
    missing, short, or pad every row to 16,384 columns), so the sheets here have
    none: their rows are read as the cells are. openpyxl is pinned (constraints.txt)."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class Sheet(ReadOnlyWorksheet):
        def _get_size(self):
            pass

    class Reader(ExcelReader):
        def read_worksheets(self):
            for sheet, rel in self.parser.find_sheets():
                if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                    worksheet = Sheet(
                        self.wb, sheet.name, rel.target, self.shared_strings
                    )
                    worksheet.sheet_state = sheet.state
                    self.wb._sheets.append(worksheet)

    return Reader


def _open_workbook(handle):
    reader = _workbook_reader()(handle, read_only=True, data_only=True)
    reader.read()
    return reader.wb


def _raw_rows(handle, info: TableInfo):
    """Every row of the file as a list of strings, header included."""
    if info.file_format == "xlsx":
        workbook = _open_workbook(handle)
        try:
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                yield [cell_text(value) for value in row]
        finally:
            workbook.close()
        return
    text = io.TextIOWrapper(handle, encoding=info.encoding, newline="")
    try:
        yield from csv.reader(text, delimiter=info.delimiter)
    finally:
        text.detach()


def _data_rows(rows, width: int):
    """(index, values) of the rows after the header that hold data: blank rows are
    passed over, and so is a report's footer, the rows after the last blank row
    whose only value is in their first cell (a Salesforce report exported "Details"
    as CSV ends with its name, copyright, "Confidential Information - Do Not
    Distribute" and "Generated By" lines). Indexes count every row."""
    held, after_blank = [], False
    for index, values in enumerate(rows):
        filled = [bool(v.strip()) for v in values]
        if not any(filled):
            after_blank = True
            continue
        if after_blank and width > 1 and filled[0] and not any(filled[1:]):
            held.append((index, values))
            continue
        yield from held
        held, after_blank = [], False
        yield index, values


def iter_rows(handle, info: TableInfo, *, start: int = 0):
    """(row number in the file, values) for every data row from data row `start`
    (0-based) on; blank rows (and a report footer, _data_rows) are passed over but
    keep their number."""
    rows = _raw_rows(handle, info)
    next(rows, None)  # header
    width = len(info.headers)
    for index, values in _data_rows(rows, width):
        if index < start:
            continue
        values = (list(values) + [""] * width)[:width]
        yield index, index + 2, values


def _format_details(handle, file_format: str, limits: ImportLimits) -> TableInfo:
    if file_format == "xlsx":
        _check_workbook_size(handle, limits)
        return TableInfo(file_format="xlsx")
    encoding = _detect_encoding(handle)
    sample = handle.read(64 * 1024).decode(encoding, errors="replace")
    handle.seek(0)
    return TableInfo(
        file_format="csv", encoding=encoding, delimiter=detect_delimiter(sample)
    )


def _check_header(header, limits: ImportLimits) -> list[str]:
    """The column names up to the last named one, or TableError."""
    headers = [h.strip().lstrip("\ufeff") for h in header or []]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise TableError(gettext("The file is empty: it has no header row."))
    if len(headers) > limits.max_columns:
        raise TableError(
            gettext(
                "The file has %(count)s columns; imports take at most %(limit)s. "
                "Delete the columns you do not import and upload it again."
            )
            % {
                "count": number_format(len(headers), force_grouping=True),
                "limit": number_format(limits.max_columns, force_grouping=True),
            }
        )
    return headers


PROGRESS_EVERY = 1000  # rows between two progress calls while counting


def inspect_table(
    handle, *, file_format: str, limits: ImportLimits, progress=None
) -> TableInfo:
    """Encoding, delimiter, header and number of data rows of a stored file, or
    TableError with the reason it is refused, raised at the first limit passed:
    a workbook's unpacked size and ratio (before unpacking), the columns (after
    the header), the rows (at the first row too many). `progress(rows)` is called
    every PROGRESS_EVERY rows counted."""
    info = _format_details(handle, file_format, limits)
    rows = _raw_rows(handle, info)
    count = 0
    try:
        info.headers = _check_header(next(rows, None), limits)
        for _index, _row in _data_rows(rows, len(info.headers)):
            count += 1
            if count > limits.max_rows:
                limit = number_format(limits.max_rows, force_grouping=True)
                raise TableError(
                    gettext(
                        "The file has more than %(limit)s data rows; imports take at "
                        "most %(limit)s. Split it into smaller files."
                    )
                    % {"limit": limit}
                )
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
    except TableError:
        raise
    except Exception as error:  # csv and openpyxl raise many kinds on a broken file
        raise TableError(
            gettext("This file is not a table we can read (%(error)s).")
            % {"error": error}
        ) from None
    finally:
        rows.close()
        handle.seek(0)
    if count == 0:
        raise TableError(gettext("The file has a header but no data rows."))
    info.total_rows = count
    return info


def auto_mapping(headers, system: str = "") -> dict[str, str]:
    """Column index (text) → target, from the header names; each target once."""
    known = aliases(system)
    mapping, used = {}, set()
    for index, header in enumerate(headers):
        target = known.get(_key(header))
        if target and target not in used:
            mapping[str(index)] = target
            used.add(target)
    return mapping


def auto_fills(mapping: dict) -> dict[str, str]:
    """What a required field takes where no column gives it one, as the mapping page
    proposes it: a Topic from the company ("{company_name}") or "Imported lead"; a
    Last Name from the company when no column names the person (a full name is
    split into first and last when mapped)."""
    targets = set(mapping.values())
    fills = {}
    if "subject" not in targets:
        fills["subject"] = (
            "{company_name}" if "company_name" in targets else gettext("Imported lead")
        )
    if "last_name" not in targets and sources.FULL_NAME not in targets:
        if "company_name" in targets:
            fills["last_name"] = "{company_name}"
    return fills
