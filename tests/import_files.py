"""Files shaped exactly like the exports of the products people leave for LeadSite
(headers, order and value formats as each product writes them; see
leads/imports/sources.py for where each shape comes from)."""

import csv
import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv(rows, name, *, quote_all=False, bom=False):
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
        lineterminator="\r\n",
    )
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    return SimpleUploadedFile(name, data, content_type="text/csv")


SALESFORCE_REPORT_HEADER = [
    "First Name",
    "Last Name",
    "Title",
    "Company",
    "Email",
    "Phone",
    "Mobile",
    "Lead Source",
    "Lead Status",
    "Rating",
    "Industry",
    "No. of Employees",
    "Annual Revenue",
    "Lead Owner",
    "Created Date",
]


def salesforce_report_rows():
    """A Salesforce lead report exported "Details Only" as CSV (every cell quoted,
    CRLF, the user's en_US locale: month/day dates, 12-hour times)."""
    return [
        SALESFORCE_REPORT_HEADER,
        [
            "Ada",
            "Lovelace",
            "CTO",
            "Analytical Engines Ltd",
            "ada@engines.example",
            "(415) 555-0101",
            "(415) 555-0199",
            "Web",
            "Open - Not Contacted",
            "Hot",
            "Electronics",
            "120",
            "$1,200,000.00",
            "Mia Meyer",
            "3/14/2023, 10:15 AM",
        ],
        [
            "Grace",
            "Hopper",
            "VP Engineering",
            "Cobol Systems",
            "grace@cobol.example",
            "(415) 555-0102",
            "",
            "Partner Referral",
            "Working - Contacted",
            "Warm",
            "Consulting",
            "45",
            "",
            "rex@example.org",
            "3/14/2023 4:40 PM",
        ],
        [
            "Alan",
            "Turing",
            "Researcher",
            "Enigma Labs",
            "alan@enigma.example",
            "",
            "",
            "Carrier Pigeon",
            "Closed - Not Converted",
            "Cold",
            "Biotechnology",
            "",
            "",
            "Jon Snow",
            "3/15/2023, 9:05 AM",
        ],
    ]


def salesforce_report_csv(name="report1710412345678.csv"):
    return _csv(salesforce_report_rows(), name, quote_all=True, bom=True)


def salesforce_data_export_csv(name="Lead.csv"):
    """The Lead.csv of Salesforce's Data Export (API names, ISO 8601 UTC times,
    owner as a user ID that LeadSite cannot match)."""
    return _csv(
        [
            [
                "Id",
                "IsDeleted",
                "MasterRecordId",
                "LastName",
                "FirstName",
                "Salutation",
                "Name",
                "Title",
                "Company",
                "Street",
                "City",
                "State",
                "PostalCode",
                "Country",
                "Phone",
                "MobilePhone",
                "Email",
                "Website",
                "Description",
                "LeadSource",
                "Status",
                "Industry",
                "Rating",
                "AnnualRevenue",
                "NumberOfEmployees",
                "OwnerId",
                "IsConverted",
                "CreatedDate",
                "CreatedById",
                "LastModifiedDate",
            ],
            [
                "00Q5g00000AbCdEAAZ",
                "false",
                "",
                "Lovelace",
                "Ada",
                "Ms.",
                "Ada Lovelace",
                "CTO",
                "Analytical Engines Ltd",
                "1 Engine Way",
                "London",
                "",
                "EC1A 1BB",
                "United Kingdom",
                "+44 20 7946 0101",
                "",
                "ada@engines.example",
                "https://engines.example",
                "",
                "Web",
                "Open - Not Contacted",
                "Electronics",
                "Hot",
                "1200000",
                "120",
                "0055g00000XyZaBAAV",
                "false",
                "2023-03-14T09:15:00.000Z",
                "0055g00000XyZaBAAV",
                "2023-03-20T11:00:00.000Z",
            ],
        ],
        name,
        quote_all=True,
    )


D365_HIDDEN = [
    "(Do Not Modify) Lead",
    "(Do Not Modify) Row Checksum",
    "(Do Not Modify) Modified On",
]
D365_VISIBLE = [
    "Name",
    "Topic",
    "Status Reason",
    "Created On",
    "Company Name",
    "Business Phone",
    "Email",
    "Owner",
    "Lead Source",
    "Rating",
]
D365_ROWS = [
    [
        "8b6d3f4e-2c1a-ee11-9966-000d3a4f1b21",
        "Zm9vYmFyMQ==",
        datetime.datetime(2023, 5, 2, 14, 0),
        "Meyer, Max",
        "40 city bikes",
        "New",
        datetime.datetime(2023, 3, 14, 9, 30),
        "Contoso Bikes",
        "+49 30 1234567",
        "max@contoso.example",
        "Mia Meyer",
        "Trade Show",
        "Warm",
    ],
    [
        "{0F4E1B22-2C1A-EE11-9966-000D3A4F1B21}",
        "Zm9vYmFyMg==",
        datetime.datetime(2023, 5, 3, 8, 0),
        "Nora Nilsen",
        "Fleet renewal",
        "Contacted",
        datetime.datetime(2023, 3, 15, 11, 45),
        "Fabrikam",
        "+47 22 123456",
        "nora@fabrikam.example",
        "Rex Rep",
        "Web",
        "Hot",
    ],
]


def d365_workbook(rows=None, *, topic_suffix=""):
    """A Dynamics 365 "Export to Excel" of a lead view: the three hidden "(Do Not
    Modify)" columns first, then the view's columns by display name, dates as
    Excel date cells, and the hidden sheet D365 adds for its own import."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "All Leads"
    sheet.append(D365_HIDDEN + D365_VISIBLE)
    for row in rows or D365_ROWS:
        row = list(row)
        row[4] = row[4] + topic_suffix
        sheet.append(row)
    for letter in "ABC":
        sheet.column_dimensions[letter].hidden = True
    hidden = workbook.create_sheet("hiddenSheet")
    hidden["A1"] = "lead:xHx0bH1x2P0dQ1dZkMP7AA=="
    hidden.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def d365_xlsx(name="All Leads 14-03-2023 10-00-00.xlsx", **kwargs):
    return SimpleUploadedFile(name, d365_workbook(**kwargs), content_type=XLSX)


def hubspot_csv(name="hubspot-crm-exports-all-contacts-2023-03-20.csv"):
    """A HubSpot contacts export (property labels, "YYYY-MM-DD HH:MM" times)."""
    return _csv(
        [
            [
                "Record ID",
                "First Name",
                "Last Name",
                "Email",
                "Phone Number",
                "Company Name",
                "Lead Status",
                "Original Source",
                "Create Date",
                "Contact owner",
            ],
            [
                "51",
                "Hugo",
                "Hub",
                "hugo@spoke.example",
                "+1 617 555 0123",
                "Spoke Inc",
                "In Progress",
                "Organic Search",
                "2023-03-14 10:15",
                "Mia Meyer",
            ],
            [
                "52",
                "Ina",
                "Inbound",
                "ina@example.org",
                "",
                "",
                "Bad Timing",
                "Offline Sources",
                "2023-03-16 08:00",
                "",
            ],
        ],
        name,
    )


def odoo_csv(name="crm.lead.csv"):
    """An Odoo CRM export of leads (field labels, selection values as labels)."""
    return _csv(
        [
            [
                "Opportunity",
                "Contact Name",
                "Company Name",
                "Email",
                "Phone",
                "Salesperson",
                "Source",
                "Stage",
                "Priority",
                "Created on",
            ],
            [
                "Office chairs for 12",
                "Olga Odoo",
                "Chairs & Co",
                "olga@chairs.example",
                "+32 2 555 01 01",
                "Mia Meyer",
                "Newsletter",
                "Proposition",
                "High",
                "2023-03-14 10:15:00",
            ],
            [
                "Standing desks",
                "Pete",
                "Desks BV",
                "pete@desks.example",
                "",
                "Mia Meyer",
                "Search engine",
                "New",
                "Low",
                "2023-03-17 12:00:00",
            ],
        ],
        name,
    )


def odoo_xlsx(name="crm.lead.xlsx"):
    """Odoo's default export format: an XLSX of the same columns, datetimes as
    Excel date cells."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet.append(
        [
            "Opportunity",
            "Contact Name",
            "Company Name",
            "Email",
            "Phone",
            "Salesperson",
            "Source",
            "Stage",
            "Priority",
            "Created on",
        ]
    )
    sheet.append(
        [
            "Office chairs for 12",
            "Olga Odoo",
            "Chairs & Co",
            "olga@chairs.example",
            "+32 2 555 01 01",
            "Mia Meyer",
            "Newsletter",
            "Won",
            "Very High",
            datetime.datetime(2023, 3, 14, 10, 15),
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)
