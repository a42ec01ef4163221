"""Option sets with the D365 codes (leadsourcecode, statuscode, ...) and the lead's
field groups."""

from django.db import models

from accounts.models import ADDRESS_FIELDS


class LeadSource(models.IntegerChoices):
    """[leadsourcecode]"""

    ADVERTISEMENT = 1, "Advertisement"
    EMPLOYEE_REFERRAL = 2, "Employee Referral"
    EXTERNAL_REFERRAL = 3, "External Referral"
    PARTNER = 4, "Partner"
    PUBLIC_RELATIONS = 5, "Public Relations"
    SEMINAR = 6, "Seminar"
    TRADE_SHOW = 7, "Trade Show"
    WEB = 8, "Web"
    WORD_OF_MOUTH = 9, "Word of Mouth"
    OTHER = 10, "Other"
    # Not in Dynamics 365: mail to an inbound alias that becomes a lead.
    EMAIL = 11, "Email"


class LeadRating(models.IntegerChoices):
    """[leadqualitycode]"""

    HOT = 1, "Hot"
    WARM = 2, "Warm"
    COLD = 3, "Cold"


class BudgetStatus(models.IntegerChoices):
    NO_COMMITTED_BUDGET = 0, "No Committed Budget"
    MAY_BUY = 1, "May Buy"
    CAN_BUY = 2, "Can Buy"
    WILL_BUY = 3, "Will Buy"


class PurchaseTimeframe(models.IntegerChoices):
    IMMEDIATE = 0, "Immediate"
    THIS_QUARTER = 1, "This Quarter"
    NEXT_QUARTER = 2, "Next Quarter"
    THIS_YEAR = 3, "This Year"
    UNKNOWN = 4, "Unknown"


class PurchaseProcess(models.IntegerChoices):
    INDIVIDUAL = 0, "Individual"
    COMMITTEE = 1, "Committee"
    UNKNOWN = 2, "Unknown"


class Need(models.IntegerChoices):
    MUST_HAVE = 0, "Must have"
    SHOULD_HAVE = 1, "Should have"
    GOOD_TO_HAVE = 2, "Good to have"
    NO_NEED = 3, "No need"


class ContactMethod(models.IntegerChoices):
    """[preferredcontactmethodcode]"""

    ANY = 1, "Any"
    EMAIL = 2, "Email"
    PHONE = 3, "Phone"
    FAX = 4, "Fax"
    MAIL = 5, "Mail"


class LeadState(models.IntegerChoices):
    """[statecode]"""

    OPEN = 0, "Open"
    QUALIFIED = 1, "Qualified"
    DISQUALIFIED = 2, "Disqualified"


class LeadStatus(models.IntegerChoices):
    """Status reason [statuscode]; each belongs to exactly one state."""

    NEW = 1, "New"
    CONTACTED = 2, "Contacted"
    QUALIFIED = 3, "Qualified"
    LOST = 4, "Lost"
    CANNOT_CONTACT = 5, "Cannot Contact"
    NO_LONGER_INTERESTED = 6, "No Longer Interested"
    CANCELED = 7, "Canceled"


LEAD_STATE_OF_STATUS = {
    LeadStatus.NEW: LeadState.OPEN,
    LeadStatus.CONTACTED: LeadState.OPEN,
    LeadStatus.QUALIFIED: LeadState.QUALIFIED,
    LeadStatus.LOST: LeadState.DISQUALIFIED,
    LeadStatus.CANNOT_CONTACT: LeadState.DISQUALIFIED,
    LeadStatus.NO_LONGER_INTERESTED: LeadState.DISQUALIFIED,
    LeadStatus.CANCELED: LeadState.DISQUALIFIED,
}
OPEN_STATUSES = [LeadStatus.NEW, LeadStatus.CONTACTED]
DISQUALIFY_REASONS = [
    LeadStatus.LOST,
    LeadStatus.CANNOT_CONTACT,
    LeadStatus.NO_LONGER_INTERESTED,
    LeadStatus.CANCELED,
]
CLOSED_STATUSES = [LeadStatus.QUALIFIED, *DISQUALIFY_REASONS]


# A lead's own fields by what they describe, each list defined once: the groups
# below, the lead form's sections (leads.forms.lifecycle), qualification and the
# demo data are built from them.
# The person: qualification copies these (and the address) to the contact it creates.
LEAD_CONTACT_FIELDS = [
    "salutation",
    "first_name",
    "last_name",
    "job_title",
    "email",
    "business_phone",
    "mobile_phone",
]
LEAD_COMPANY_FIELDS = [
    "company_name",
    "website",
    "industry",
    "annual_revenue",
    "number_of_employees",
]
LEAD_SOURCE_FIELDS = ["source", "rating", "campaign", "channel_partner"]
LEAD_QUALIFICATION_FIELDS = [
    "budget_amount",
    "budget_status",
    "purchase_timeframe",
    "purchase_process",
    "need",
    "decision_maker",
    "estimated_value",
    "estimated_close_date",
]
LEAD_DO_NOT_CONTACT_FIELDS = [
    "do_not_email",
    "do_not_bulk_email",
    "do_not_phone",
    "do_not_postal_mail",
]
# What qualification copies to the account it creates besides its name (the company
# name) and the address: account field -> lead field.
ACCOUNT_FIELDS_FROM_LEAD = {
    "website": "website",
    "phone": "business_phone",
    "industry": "industry",
    "annual_revenue": "annual_revenue",
    "number_of_employees": "number_of_employees",
}

# A lead's own fields in groups, as Dynamics 365 shows them: the merge page and the
# admin list them from here (the lead form has its own, denser sections).
LEAD_FIELD_GROUPS = [
    ("Contact", ["subject", *LEAD_CONTACT_FIELDS]),
    ("Company", [*LEAD_COMPANY_FIELDS, "description"]),
    ("Address", ADDRESS_FIELDS),
    (
        "Source and details",
        [*LEAD_SOURCE_FIELDS, "original_message", *LEAD_QUALIFICATION_FIELDS],
    ),
    ("Contact preferences", ["preferred_contact_method", *LEAD_DO_NOT_CONTACT_FIELDS]),
    ("Related", ["parent_account", "parent_contact"]),
]
# The fields a merge lets the user pick one by one: every group's. Owner, business
# unit, lifecycle and qualification fields stay the master's (ownership decides who
# may see the merged lead, so a merge never moves it out of its owner's hands).
LEAD_FIELDS = [name for _, names in LEAD_FIELD_GROUPS for name in names]
