"""Lead files in and out: the column schema (D365 schema names), value formatting, and
the CSV/XLSX writers of /leads/export/ (streamed) and of export jobs (built by the
worker).

Import reads the same COLUMNS (leads.services.imports), so an exported file imports
back unchanged: option sets are written as D365 labels and read as labels or codes.

The score columns (SCORE_HEADERS) come last and are read-only: import maps none of
them, so a file exported and imported again changes no score.

Every file this site writes for a spreadsheet (lead CSV and XLSX, the source report's
CSV, the import report) passes its rows through sheet_row(), the one place where a
text cell a spreadsheet would run as a formula gets a leading apostrophe; import
strips it again (unguard_formula).
"""

import csv
import datetime
import re
import tempfile
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Industry
from leads.models import (
    BudgetStatus,
    ContactMethod,
    LeadRating,
    LeadSource,
    LeadState,
    LeadStatus,
    Need,
    PurchaseProcess,
    PurchaseTimeframe,
    ScoringConfig,
)
from leads.scoring.grades import DEFAULT_THRESHOLDS, GradeThresholds, grade

TEXT, OPTION, BOOL, MONEY, INT, DATE, CAMPAIGN, OWNER, ID = (
    "text option bool money int date campaign owner id".split()
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Flags as the file writes them, in the language of the export.
YES, NO = _("Yes"), _("No")


@dataclass(frozen=True)
class Column:
    schema_name: str  # D365 attribute logical name, the export header
    field: str  # Lead field
    label: str  # D365 display name (translated), also accepted as an import header
    kind: str = TEXT
    choices: type | None = None
    importable: bool = True


COLUMNS = [
    Column("leadid", "id", _("Lead"), ID, importable=False),
    Column("subject", "subject", _("Topic")),
    Column("salutation", "salutation", _("Salutation")),
    Column("firstname", "first_name", _("First Name")),
    Column("lastname", "last_name", _("Last Name")),
    Column("jobtitle", "job_title", _("Job Title")),
    Column("emailaddress1", "email", _("Email")),
    Column("telephone1", "business_phone", _("Business Phone")),
    Column("mobilephone", "mobile_phone", _("Mobile Phone")),
    Column("companyname", "company_name", _("Company Name")),
    Column("websiteurl", "website", _("Website")),
    Column("industrycode", "industry", _("Industry"), OPTION, Industry),
    Column("revenue", "annual_revenue", _("Annual Revenue"), MONEY),
    Column("numberofemployees", "number_of_employees", _("No. of Employees"), INT),
    Column("description", "description", _("Description")),
    Column("leadsourcecode", "source", _("Lead Source"), OPTION, LeadSource),
    Column("leadqualitycode", "rating", _("Rating"), OPTION, LeadRating),
    Column("campaignid", "campaign", _("Source Campaign"), CAMPAIGN),
    Column("budgetamount", "budget_amount", _("Budget Amount"), MONEY),
    Column("budgetstatus", "budget_status", _("Budget"), OPTION, BudgetStatus),
    Column(
        "purchasetimeframe",
        "purchase_timeframe",
        _("Purchase Timeframe"),
        OPTION,
        PurchaseTimeframe,
    ),
    Column(
        "purchaseprocess",
        "purchase_process",
        _("Purchase Process"),
        OPTION,
        PurchaseProcess,
    ),
    Column("decisionmaker", "decision_maker", _("Decision Maker?"), BOOL),
    Column("need", "need", _("Need"), OPTION, Need),
    Column("estimatedamount", "estimated_value", _("Est. Value"), MONEY),
    Column("estimatedclosedate", "estimated_close_date", _("Est. Close Date"), DATE),
    Column(
        "preferredcontactmethodcode",
        "preferred_contact_method",
        _("Preferred Method of Contact"),
        OPTION,
        ContactMethod,
    ),
    Column("donotemail", "do_not_email", _("Do not allow Emails"), BOOL),
    Column("donotbulkemail", "do_not_bulk_email", _("Do not allow Bulk Emails"), BOOL),
    Column("donotphone", "do_not_phone", _("Do not allow Phone Calls"), BOOL),
    Column("donotpostalmail", "do_not_postal_mail", _("Do not allow Mails"), BOOL),
    Column("address1_line1", "address_line1", _("Street 1")),
    Column("address1_line2", "address_line2", _("Street 2")),
    Column("address1_line3", "address_line3", _("Street 3")),
    Column("address1_city", "city", _("City")),
    Column("address1_stateorprovince", "state_or_province", _("State/Province")),
    Column("address1_postalcode", "postal_code", _("ZIP/Postal Code")),
    Column("address1_country", "country", _("Country/Region")),
    Column("statecode", "state", _("Status"), OPTION, LeadState, importable=False),
    Column("statuscode", "status", _("Status Reason"), OPTION, LeadStatus),
    Column("ownerid", "owner", _("Owner"), OWNER, importable=False),
]
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
# After COLUMNS: the lead's score (empty when not scored), its grade under the
# current thresholds, and whether a person pinned it. Not lead fields, and no
# import alias names them: a re-import leaves them out.
SCORE_HEADERS = [_("Score"), _("Grade"), _("Score pinned")]
HEADER = [*(c.schema_name for c in COLUMNS), *SCORE_HEADERS]


# A plain number ("-12.50") is a constant to a spreadsheet, never a formula.
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?", re.ASCII)


def guard_formula(text: str) -> str:
    """A text a spreadsheet would evaluate (starting with =, +, -, @, tab or CR)
    gets a leading apostrophe, so it opens as text. A plain number, which a
    spreadsheet reads as a number and never runs, stays as it is."""
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def sheet_row(values) -> list:
    """One row of any exported file with every text cell through guard_formula;
    numbers and other values pass unchanged. Every CSV/XLSX writer of the site
    calls it, so no text cell reaches a file unguarded."""
    return [guard_formula(v) if isinstance(v, str) else v for v in values]


def unguard_formula(text: str) -> str:
    """The inverse of guard_formula, for import."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def format_value(column: Column, lead) -> str:
    """One lead's value for one column, as text in the file (guarded later, by the
    writer, through sheet_row)."""
    if column.kind == CAMPAIGN:
        return lead.campaign.name if lead.campaign_id else ""
    if column.kind == OWNER:
        owner = lead.owner_user or lead.owner_team
        return getattr(owner, "username", None) or (str(owner) if owner else "")
    value = getattr(lead, column.field)
    if value is None:
        return ""
    if column.kind == OPTION:
        return str(column.choices(value).label)
    if column.kind == BOOL:
        return str(YES if value else NO)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def score_values(lead, thresholds: GradeThresholds) -> list[str]:
    """The SCORE_HEADERS cells of one lead (its score row read with it)."""
    try:
        row = lead.score
    except ObjectDoesNotExist:
        row = None
    score = row.score if row is not None else None
    if score is None:
        return ["", "", str(NO)]
    return [str(score), grade(score, thresholds), str(YES if row.pinned else NO)]


def grade_thresholds() -> GradeThresholds:
    """The administrator's grade thresholds as stored now (one query per file)."""
    config = ScoringConfig.objects.filter(pk=1).first()
    return config.thresholds if config is not None else DEFAULT_THRESHOLDS


def export_queryset(queryset, page_size: int = 2000):
    """The rows to export, newest first, read in pages of `page_size` by primary key
    (keyset pagination), so memory stays flat however the database driver fetches
    (server-side cursors may be off behind a pooler). Each lead's score row is
    joined (LeadScore.lead is its primary key)."""
    queryset = queryset.select_related(
        "owner_user", "owner_team", "campaign", "score"
    ).order_by("-pk")
    last = None
    while True:
        page = list(
            (queryset if last is None else queryset.filter(pk__lt=last))[:page_size]
        )
        if not page:
            return
        yield from page
        last = page[-1].pk


def export_rows(queryset):
    """Header, then one list of strings per lead (not yet guarded: the writers
    guard every row). The score headers, option labels and flags are in the
    active language."""
    yield [str(name) for name in HEADER]
    thresholds = grade_thresholds()
    for lead in export_queryset(queryset):
        yield [
            *(format_value(c, lead) for c in COLUMNS),
            *score_values(lead, thresholds),
        ]


class Echo:
    """A file-like object whose write() returns what it was given: csv.writer then
    hands back each line as text."""

    def write(self, value):
        return value


_LINE_WRITER = csv.writer(Echo())


def csv_line(values) -> str:
    """One CSV line (with its line break) of `values`, text cells guarded."""
    return _LINE_WRITER.writerow(sheet_row(values))


def csv_chunks(queryset, rows_per_chunk: int = 500):
    """The CSV file as byte chunks: a UTF-8 BOM (Excel then reads UTF-8), then rows."""
    yield "\ufeff".encode()
    buffer = []
    for row in export_rows(queryset):
        buffer.append(csv_line(row))
        if len(buffer) >= rows_per_chunk:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


def write_xlsx(queryset, handle, *, progress=None, every: int = 2000) -> int:
    """Write the XLSX file of `queryset` to the binary file `handle` and return the
    number of leads written. openpyxl's write-only mode streams rows to a temporary
    file, so memory stays flat however many leads there are; every cell is a
    string, as in the CSV. `progress(leads_written)` is called every `every` leads."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("Leads"))
    rows = export_rows(queryset)
    sheet.append(sheet_row(next(rows)))  # the header
    written = 0
    for written, row in enumerate(rows, start=1):
        sheet.append(sheet_row(row))
        if progress is not None and written % every == 0:
            progress(written)
    workbook.save(handle)
    return written


def xlsx_chunks(queryset, chunk_size: int = 64 * 1024):
    """The XLSX file as byte chunks, built in a temporary file first (a zip's
    directory comes last): for small exports, see LEADSITE_EXPORT_DIRECT_MAX_ROWS."""
    with tempfile.TemporaryFile() as handle:
        write_xlsx(queryset, handle)
        handle.seek(0)
        while chunk := handle.read(chunk_size):
            yield chunk
