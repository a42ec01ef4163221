"""Export /leads/export/: the list's scope and filters, D365 headers, formula guard."""

import csv
import io

from openpyxl import load_workbook

from leads.models import LeadSource
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
