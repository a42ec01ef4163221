"""Option sets with the D365 codes (leadsourcecode, statuscode, ...) and the lead's
field groups."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import ADDRESS_FIELDS


class LeadSource(models.IntegerChoices):
    """[leadsourcecode]"""

    ADVERTISEMENT = 1, _("Advertisement")
    EMPLOYEE_REFERRAL = 2, _("Employee Referral")
    EXTERNAL_REFERRAL = 3, _("External Referral")
    PARTNER = 4, _("Partner")
    PUBLIC_RELATIONS = 5, _("Public Relations")
    SEMINAR = 6, _("Seminar")
    TRADE_SHOW = 7, _("Trade Show")
    WEB = 8, _("Web")
    WORD_OF_MOUTH = 9, _("Word of Mouth")
    OTHER = 10, _("Other")
    # Not in Dynamics 365: mail to an inbound alias that becomes a lead.
    EMAIL = 11, _("Email")


class LeadRating(models.IntegerChoices):
    """[leadqualitycode]"""

    HOT = 1, _("Hot")
    WARM = 2, _("Warm")
    COLD = 3, _("Cold")


class BudgetStatus(models.IntegerChoices):
    NO_COMMITTED_BUDGET = 0, _("No Committed Budget")
    MAY_BUY = 1, _("May Buy")
    CAN_BUY = 2, _("Can Buy")
    WILL_BUY = 3, _("Will Buy")


class PurchaseTimeframe(models.IntegerChoices):
    IMMEDIATE = 0, _("Immediate")
    THIS_QUARTER = 1, _("This Quarter")
    NEXT_QUARTER = 2, _("Next Quarter")
    THIS_YEAR = 3, _("This Year")
    UNKNOWN = 4, _("Unknown")


class PurchaseProcess(models.IntegerChoices):
    INDIVIDUAL = 0, _("Individual")
    COMMITTEE = 1, _("Committee")
    UNKNOWN = 2, _("Unknown")


class Need(models.IntegerChoices):
    MUST_HAVE = 0, _("Must have")
    SHOULD_HAVE = 1, _("Should have")
    GOOD_TO_HAVE = 2, _("Good to have")
    NO_NEED = 3, _("No need")


class ContactMethod(models.IntegerChoices):
    """[preferredcontactmethodcode]"""

    ANY = 1, pgettext_lazy("contact method", "Any")
    EMAIL = 2, _("Email")
    PHONE = 3, _("Phone")
    FAX = 4, _("Fax")
    MAIL = 5, _("Mail")


class LeadState(models.IntegerChoices):
    """[statecode]"""

    OPEN = 0, _("Open")
    QUALIFIED = 1, _("Qualified")
    DISQUALIFIED = 2, _("Disqualified")


class LeadStatus(models.IntegerChoices):
    """Status reason [statuscode]; each belongs to exactly one state."""

    NEW = 1, _("New")
    CONTACTED = 2, _("Contacted")
    QUALIFIED = 3, _("Qualified")
    LOST = 4, _("Lost")
    CANNOT_CONTACT = 5, _("Cannot Contact")
    NO_LONGER_INTERESTED = 6, _("No Longer Interested")
    CANCELED = 7, _("Canceled")


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
    (_("Contact"), ["subject", *LEAD_CONTACT_FIELDS]),
    (_("Company"), [*LEAD_COMPANY_FIELDS, "description"]),
    (_("Address"), ADDRESS_FIELDS),
    (
        _("Source and details"),
        [*LEAD_SOURCE_FIELDS, "original_message", *LEAD_QUALIFICATION_FIELDS],
    ),
    (
        _("Contact preferences"),
        ["preferred_contact_method", *LEAD_DO_NOT_CONTACT_FIELDS],
    ),
    (_("Related"), ["parent_account", "parent_contact"]),
]
# The fields a merge lets the user pick one by one: every group's. Owner, business
# unit, lifecycle and qualification fields stay the master's (ownership decides who
# may see the merged lead, so a merge never moves it out of its owner's hands).
LEAD_FIELDS = [name for _group, names in LEAD_FIELD_GROUPS for name in names]
