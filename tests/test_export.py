"""Export /leads/export/: the list's scope and filters, D365 headers, formula guard."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from leads import exports
from leads.models import ImportBatch, LeadSource
from tests import factories


def _rows(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_export_has_d365_headers_and_labels(rep_client, rep):
    factories.LeadFactory(
        owner_user=rep,
        subject="Bikes",
        last_name="Lee",
        email="lee@example.org",
        source=LeadSource.TRADE_SHOW,
        industry=16,
    )
    response = rep_client.get("/leads/export/")
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    [row] = _rows(response)
    assert row["subject"] == "Bikes"
    assert row["lastname"] == "Lee"
    assert row["emailaddress1"] == "lee@example.org"
    assert row["leadsourcecode"] == "Trade Show"
    assert row["industrycode"] == "Financial"
    assert row["statuscode"] == "New"


def test_export_keeps_to_scope_and_filters(rep_client, rep, rep2):
    factories.LeadFactory(owner_user=rep, last_name="Mine", source=LeadSource.WEB)
    factories.LeadFactory(owner_user=rep, last_name="Mine2", source=LeadSource.OTHER)
    factories.LeadFactory(owner_user=rep2, last_name="Theirs")
    all_rows = _rows(rep_client.get("/leads/export/", {"view": "all"}))
    assert sorted(r["lastname"] for r in all_rows) == ["Mine", "Mine2"]
    web = _rows(
        rep_client.get("/leads/export/", {"view": "all", "source": LeadSource.WEB})
    )
    assert [r["lastname"] for r in web] == ["Mine"]


def test_export_neutralises_formulas(rep_client, rep):
    factories.LeadFactory(
        owner_user=rep,
        subject='=HYPERLINK("http://evil")',
        last_name="@SUM(A1)",
        company_name="-2+3",
        business_phone="+1 555 0100",
    )
    [row] = _rows(rep_client.get("/leads/export/"))
    assert row["subject"] == '\'=HYPERLINK("http://evil")'
    assert row["lastname"] == "'@SUM(A1)"
    assert row["companyname"] == "'-2+3"
    assert row["telephone1"] == "'+1 555 0100"


def test_export_xlsx(rep_client, rep):
    factories.LeadFactory(owner_user=rep, last_name="Xu", subject="=1+1")
    response = rep_client.get("/leads/export/", {"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("leadid", "subject", "salutation", "firstname", "lastname")
    assert rows[1][header.index("lastname")] == "Xu"
    assert rows[1][header.index("subject")] == "'=1+1"


def test_lead_list_has_export_button_with_filters(rep_client, rep):
    response = rep_client.get("/leads/", {"view": "open", "q": "x"})
    assert b'href="/leads/export/?view=open&amp;q=x"' in response.content


def test_export_needs_login(client):
    response = client.get("/leads/export/")
    assert response.status_code == 302


# --- the formula guard on every text cell --------------------------------------------

EVIL = '=HYPERLINK("http://x","y")'


@pytest.fixture
def evil_leads(org, manager):
    """Two north leads whose campaign, owning user and owning team are named as a
    formula: the manager's export holds both."""
    campaign = factories.CampaignFactory(name=EVIL)
    user = factories.UserFactory(username=EVIL, business_unit=org.north)
    team = factories.TeamFactory(name="+" + EVIL[1:], business_unit=org.north)
    by_user = factories.LeadFactory(owner_user=user, campaign=campaign, last_name="U")
    by_team = factories.LeadFactory(
        owner_user=None, owner_team=team, campaign=campaign, last_name="T"
    )
    return {by_user.pk: EVIL, by_team.pk: "+" + EVIL[1:]}


def test_csv_export_guards_campaign_and_owner(manager_client, evil_leads):
    rows = _rows(manager_client.get("/leads/export/", {"view": "all"}))
    assert {int(r["leadid"]) for r in rows} == set(evil_leads)
    for row in rows:
        assert row["campaignid"] == "'" + EVIL
        assert row["ownerid"] == "'" + evil_leads[int(row["leadid"])]


def test_xlsx_export_holds_campaign_and_owner_as_text_not_formulas(
    manager_client, evil_leads
):
    response = manager_client.get("/leads/export/", {"view": "all", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [cell.value for cell in sheet[1]]
    campaign, owner = header.index("campaignid") + 1, header.index("ownerid") + 1
    lead_ids = set()
    for line in range(2, sheet.max_row + 1):
        lead_id = int(sheet.cell(line, 1).value)
        lead_ids.add(lead_id)
        for column, text in [(campaign, EVIL), (owner, evil_leads[lead_id])]:
            cell = sheet.cell(line, column)
            assert cell.data_type == "s", (column, cell.value)
            assert cell.value == "'" + text
    assert lead_ids == set(evil_leads)
    # No cell of the workbook is a formula.
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        ("-12.50", "-12.50"),  # a plain number is never run
        ("-7", "-7"),
        ("Bikes = fun", "Bikes = fun"),
        ("", ""),
    ],
)
def test_guard_formula_quotes_what_a_spreadsheet_would_run(text, written):
    assert exports.guard_formula(text) == written
    assert exports.unguard_formula(written) == text


def test_sheet_row_guards_text_cells_and_keeps_numbers():
    assert exports.sheet_row(["=1", 3, None, "-5", "x"]) == ["'=1", 3, None, "-5", "x"]


def test_import_report_csv_guards_its_cells(manager_client):
    """A failed row's reason starts with the file's column name: a header named as
    a formula must not come back as one in the import report."""
    header = '"' + EVIL.replace('"', '""') + '"'
    upload = SimpleUploadedFile(
        "leads.csv",
        f"subject,lastname,{header}\nBikes,Lee,many\n".encode(),
        content_type="text/csv",
    )
    manager_client.post("/leads/import/", {"file": upload})
    batch = ImportBatch.objects.latest("pk")
    data = {f"col_{i}": v for i, v in batch.mapping.items()}
    data.update(
        {"col_2": "number_of_employees", "duplicate_mode": "skip", "action": "start"}
    )
    manager_client.post(f"/leads/import/{batch.pk}/", data)
    batch.refresh_from_db()
    assert batch.failed_count == 1
    response = manager_client.get(f"/leads/import/{batch.pk}/report.csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    [header_line, line] = list(csv.reader(io.StringIO(body)))
    assert header_line == ["row", "outcome", "lead", "message"]
    assert line[3].startswith("'" + EVIL + ":"), line[3]
