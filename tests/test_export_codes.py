"""Option sets carry D365's codes and labels, so files round-trip with D365."""

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
)

D365_INDUSTRY = {
    1: "Accounting",
    6: "Business Services",
    11: "Doctor's Offices and Clinics",
    12: "Durable Manufacturing",
    13: "Eating and Drinking Places",
    16: "Financial",
    20: "Insurance",
    25: "Service Retail",
    26: "SIG Affiliations",
    30: "Transportation",
    31: "Utility Creation and Distribution",
    33: "Wholesale",
}


def test_industry_uses_d365_codes_and_labels():
    assert [code for code, _ in Industry.choices] == list(range(1, 34))
    labels = dict(Industry.choices)
    for code, label in D365_INDUSTRY.items():
        assert labels[code] == label


def test_lead_option_sets_use_d365_codes_and_labels():
    assert dict(LeadSource.choices)[7] == "Trade Show"
    assert dict(LeadSource.choices)[8] == "Web"
    assert dict(LeadRating.choices) == {1: "Hot", 2: "Warm", 3: "Cold"}
    assert dict(BudgetStatus.choices)[0] == "No Committed Budget"
    assert dict(PurchaseTimeframe.choices)[4] == "Unknown"
    assert dict(PurchaseProcess.choices) == {
        0: "Individual",
        1: "Committee",
        2: "Unknown",
    }
    assert dict(Need.choices)[3] == "No need"
    assert dict(ContactMethod.choices)[5] == "Mail"
    assert dict(LeadState.choices) == {0: "Open", 1: "Qualified", 2: "Disqualified"}
    assert dict(LeadStatus.choices)[5] == "Cannot Contact"
