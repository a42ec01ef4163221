"""The exports of the systems people leave for LeadSite, as an import reads them:
which product a file comes from (from its header), the headers each one writes, the
values of its option sets in LeadSite's codes, its date formats, and full names.

Where each list comes from:
- Dynamics 365 "Export to Excel" of a lead view: a workbook whose first three,
  hidden, columns are "(Do Not Modify) Lead" (the record's GUID), "(Do Not Modify)
  Row Checksum" and "(Do Not Modify) Modified On", then the view's columns by
  display name (Name, Topic, Status Reason, Company Name, Business Phone, Owner,
  Created On ...); option sets as labels (Microsoft Learn, "Export data to Excel"
  and the lead entity reference; the D365 codes are leads.models.choices').
- Salesforce: Lead field labels and API names from the Salesforce Field Reference
  ("Lead": FirstName "First Name", Name "Full Name", Company, LeadSource "Lead
  Source", Status "Lead Status", NumberOfEmployees "Employees", CreatedDate
  "Created Date" ...), report columns ("Lead Owner", "Company / Account"), the
  default picklists (Lead Status "Open - Not Contacted", "Working - Contacted",
  "Closed - Converted", "Closed - Not Converted"; Lead Source "Web", "Phone
  Inquiry", "Partner Referral", "Purchased List", "Other"; Rating Hot/Warm/Cold;
  the Industry picklist), dates as the user's locale writes them ("3/14/2024
  10:15 AM") in reports and ISO 8601 UTC in the data export.
- HubSpot contacts export: property labels ("First Name", "Phone Number",
  "Contact owner", "Lead Status", "Original Source" / "Original Traffic Source",
  "Create Date", "Record ID"); default Lead Status options (New, Open, In
  Progress, Open Deal, Unqualified, Attempted to Contact, Connected, Bad Timing)
  and Original Source values (HubSpot knowledge base, "Understand source
  properties"); dates "2024-03-14 10:15".
- Odoo crm.lead export: field strings of addons/crm/models/crm_lead.py (name
  "Opportunity", contact_name "Contact Name", partner_name "Company Name",
  email_from "Email", user_id "Salesperson", stage_id "Stage", priority
  "Priority" Low/Medium/High/Very High, function "Job Position", description
  "Notes"; utm source_id "Source" with the default sources of
  addons/utm/data/utm_source_data.xml; create_date "Created on"), default stages
  New, Qualified, Proposition, Won.
"""

import datetime
import re

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Industry
from leads.models import LeadRating, LeadSource, LeadStatus

D365, SALESFORCE, HUBSPOT, ODOO = "d365", "salesforce", "hubspot", "odoo"
SYSTEM_NAMES = {
    D365: "Dynamics 365",
    SALESFORCE: "Salesforce",
    HUBSPOT: "HubSpot",
    ODOO: "Odoo",
}

# Targets beyond the lead's own columns (leads.exports.COLUMNS).
FULL_NAME, OWNER, CREATED, EXTERNAL_ID = (
    "full_name",
    "owner",
    "created_at",
    "external_id",
)
EXTRA_TARGETS = [
    (FULL_NAME, _("Full name (split into First and Last Name)")),
    (OWNER, _("Owner (matched to a user by name or email)")),
    (CREATED, _("Created on (kept as the lead's creation date)")),
    (EXTERNAL_ID, _("Record ID in the source system (a second import updates)")),
]


def key(text) -> str:
    """A header or value as compared: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


def _keys(*names):
    return [key(name) for name in names]


# Headers that name one product's export (any one is enough).
SIGNATURES = {
    D365: _keys(
        "(Do Not Modify) Lead",
        "(Do Not Modify) Row Checksum",
        "(Do Not Modify) Modified On",
    ),
    SALESFORCE: _keys("Lead Owner", "Company / Account", "LeadSource", "OwnerId"),
    HUBSPOT: _keys(
        "Contact owner", "Record ID", "Original Source", "Original Traffic Source"
    ),
    ODOO: _keys("Salesperson", "Opportunity", "Contact Name", "Sales Team"),
}


def detect_system(headers) -> str:
    """The product whose export `headers` is ("" when none is recognised)."""
    found = {key(h) for h in headers}
    for system, signature in SIGNATURES.items():
        if found & set(signature):
            return system
    return ""


# Header → target, for every product (besides D365 schema and display names, which
# leads.exports.COLUMNS gives).
COMMON_HEADERS = {
    "subject": ["Topic", "Subject", "Title of Lead", "Lead Title", "Topic Name"],
    FULL_NAME: ["Full Name", "fullname"],
    "first_name": ["FirstName", "Given Name"],
    "last_name": ["LastName", "Surname", "Family Name"],
    "job_title": ["Title", "Job Position"],
    "company_name": [
        "Company",
        "Company / Account",
        "Account Name",
        "Organisation",
        "Organization",
        "partner_name",
    ],
    "email": ["E-mail", "Email Address", "E-mail Address", "Mail", "email_from"],
    "business_phone": ["Phone", "Telephone", "Phone Number", "Work Phone"],
    "mobile_phone": [
        "Mobile",
        "MobilePhone",
        "Cell",
        "Cell Phone",
        "Mobile Phone Number",
    ],
    "website": ["Web Site", "Website URL", "URL", "Web"],
    "description": ["Notes"],
    "source": [
        "Source",
        "LeadSource",
        "Lead Source Code",
        "Original Source",
        "Original Traffic Source",
    ],
    "status": ["Lead Status"],
    "industry": ["Industry"],
    "annual_revenue": ["AnnualRevenue"],
    "number_of_employees": ["Employees", "NumberOfEmployees", "Number of Employees"],
    "address_line1": ["Street", "Street Address"],
    "address_line2": ["Street2"],
    "state_or_province": ["State", "State/Region"],
    "postal_code": ["Zip", "Postcode", "Postal Code", "PostalCode", "Zip/Postal Code"],
    "country": ["Country"],
    "campaign": ["Campaign", "Campaign Name"],
    "id": ["Lead ID", "ID"],
    OWNER: ["Owner", "Lead Owner", "Contact owner", "HubSpot Owner", "Salesperson"],
    CREATED: [
        "Created On",
        "Created Date",
        "Create Date",
        "CreatedDate",
        "Created on",
        "createdon",
        "create_date",
    ],
}
# What a header means in one product's export when it differs.
SYSTEM_HEADERS = {
    D365: {
        FULL_NAME: ["Name"],
        EXTERNAL_ID: ["(Do Not Modify) Lead"],
    },
    SALESFORCE: {
        FULL_NAME: ["Name", "Full Name"],
        "status": ["Status", "Lead Status"],
        EXTERNAL_ID: ["Lead ID", "Id"],
    },
    HUBSPOT: {
        EXTERNAL_ID: ["Record ID"],
        "status": ["Lead Status"],
    },
    ODOO: {
        "subject": ["Opportunity", "name"],
        FULL_NAME: ["Contact Name", "contact_name"],
        "salutation": ["Title"],
        "status": ["Stage"],
        "rating": ["Priority"],
        "campaign": ["Campaign"],
    },
}


def header_aliases(system: str) -> dict[str, str]:
    """Header key → target for a file of `system` (its own meanings first)."""
    found = {}
    for target, names in SYSTEM_HEADERS.get(system, {}).items():
        for name in names:
            found.setdefault(key(name), target)
    for target, names in COMMON_HEADERS.items():
        for name in names:
            found.setdefault(key(name), target)
    return found


# Option-set values of those products → LeadSite's codes. A value none of them knows
# is listed in the preview and left empty (the field's default).
STATUS_VALUES = {
    # Salesforce defaults, and common custom values
    "Open - Not Contacted": LeadStatus.NEW,
    "Working - Contacted": LeadStatus.CONTACTED,
    "Closed - Converted": LeadStatus.QUALIFIED,
    "Closed - Not Converted": LeadStatus.LOST,
    "Open": LeadStatus.NEW,
    "Working": LeadStatus.CONTACTED,
    "Nurturing": LeadStatus.CONTACTED,
    "Unqualified": LeadStatus.LOST,
    # HubSpot defaults
    "In Progress": LeadStatus.CONTACTED,
    "Open Deal": LeadStatus.QUALIFIED,
    "Attempted to Contact": LeadStatus.CONTACTED,
    "Connected": LeadStatus.CONTACTED,
    "Bad Timing": LeadStatus.CONTACTED,
    # Odoo default stages
    "Proposition": LeadStatus.QUALIFIED,
    "Won": LeadStatus.QUALIFIED,
}
SOURCE_VALUES = {
    # Salesforce defaults (current and older orgs)
    "Phone Inquiry": LeadSource.OTHER,
    "Partner Referral": LeadSource.PARTNER,
    "Purchased List": LeadSource.OTHER,
    "Seminar - Internal": LeadSource.SEMINAR,
    "Seminar - Partner": LeadSource.SEMINAR,
    "Web Referral": LeadSource.WEB,
    # HubSpot Original Source
    "Organic Search": LeadSource.WEB,
    "Paid Search": LeadSource.ADVERTISEMENT,
    "Email Marketing": LeadSource.ADVERTISEMENT,
    "Organic Social": LeadSource.WEB,
    "Social Media": LeadSource.WEB,
    "Paid Social": LeadSource.ADVERTISEMENT,
    "Referrals": LeadSource.EXTERNAL_REFERRAL,
    "Other Campaigns": LeadSource.ADVERTISEMENT,
    "Direct Traffic": LeadSource.WEB,
    "Offline Sources": LeadSource.OTHER,
    "AI Referrals": LeadSource.WEB,
    # Odoo default UTM sources
    "Search engine": LeadSource.WEB,
    "Lead Recall": LeadSource.OTHER,
    "Newsletter": LeadSource.ADVERTISEMENT,
    "Facebook": LeadSource.WEB,
    "X": LeadSource.WEB,
    "Twitter": LeadSource.WEB,
    "LinkedIn": LeadSource.WEB,
}
RATING_VALUES = {
    # Odoo priority
    "Very High": LeadRating.HOT,
    "High": LeadRating.HOT,
    "Medium": LeadRating.WARM,
    "Low": LeadRating.COLD,
}
INDUSTRY_VALUES = {
    # Salesforce's Industry picklist, where a D365 industry code fits
    "Agriculture": Industry.AGRICULTURE,
    "Banking": Industry.FINANCIAL,
    "Finance": Industry.FINANCIAL,
    "Communications": Industry.BROADCASTING,
    "Media": Industry.BROADCASTING,
    "Construction": Industry.SPECIAL_OUTBOUND_TRADE,
    "Electronics": Industry.DURABLE_MANUFACTURING,
    "Machinery": Industry.DURABLE_MANUFACTURING,
    "Manufacturing": Industry.DURABLE_MANUFACTURING,
    "Energy": Industry.UTILITY_CREATION,
    "Utilities": Industry.UTILITY_CREATION,
    "Entertainment": Industry.ENTERTAINMENT_RETAIL,
    "Food & Beverage": Industry.FOOD_AND_TOBACCO,
    "Healthcare": Industry.DOCTORS_OFFICES,
    "Hospitality": Industry.EATING_AND_DRINKING,
    "Not For Profit": Industry.SOCIAL_SERVICES,
    "Retail": Industry.SERVICE_RETAIL,
    "Shipping": Industry.TRANSPORTATION,
    "Transportation": Industry.TRANSPORTATION,
    "Legal": Industry.LEGAL_SERVICES,
}
VALUES = {
    "status": {key(k): v for k, v in STATUS_VALUES.items()},
    "source": {key(k): v for k, v in SOURCE_VALUES.items()},
    "rating": {key(k): v for k, v in RATING_VALUES.items()},
    "industry": {key(k): v for k, v in INDUSTRY_VALUES.items()},
}
# Option sets whose unknown values are left empty (listed in the preview), not
# refused: the ones every product has its own version of.
LENIENT_OPTIONS = set(VALUES)


def known_value(field_name: str, text: str):
    """The LeadSite code another product's option-set value stands for, or None."""
    return VALUES.get(field_name, {}).get(key(text))


# Dates and times as those exports write them (naive ones are local times of the
# import, TIME_ZONE).
DATETIME_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
]


def parse_datetime(text: str) -> datetime.datetime:
    """An aware datetime from a date or date and time of those exports, or
    ValueError. ISO 8601 (with Z or an offset: UTC; without: local), US month/day
    ("3/14/2024, 10:15 AM"; day/month when the first number passes 12) and
    day.month.year."""
    cleaned = re.sub(r"\s+", " ", text.strip().replace(",", " ")).strip()
    value = None
    iso = (
        cleaned.replace(" ", "T", 1)
        if re.match(r"\d{4}-\d\d-\d\d ", cleaned)
        else cleaned
    )
    try:
        value = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        for fmt in DATETIME_FORMATS:
            try:
                value = datetime.datetime.strptime(cleaned.upper(), fmt)
                break
            except ValueError:
                continue
    if value is None:
        raise ValueError(
            gettext(
                "'%(value)s' is not a date (e.g. 2024-03-14, 2024-03-14 10:15, "
                "3/14/2024 10:15 AM, 14.03.2024)."
            )
            % {"value": text}
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now():
        raise ValueError(gettext("'%(value)s' is in the future.") % {"value": text})
    return value


def split_name(text: str) -> tuple[str, str]:
    """(first name, last name) of a full name: "Last, First" (D365's "Last Name,
    First Name" format) or "First [Middle] Last"; a single word is a last name."""
    text = " ".join(text.split())
    if "," in text:
        last, _, first = text.partition(",")
        return first.strip(), last.strip()
    first, _, last = text.rpartition(" ")
    return first, last
