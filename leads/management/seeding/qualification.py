"""Rows qualification creates: the account, contact and opportunity of a qualified
lead, copied from the lead as the qualification service copies them."""

from decimal import Decimal

from accounts.models import OpportunityState, OpportunityStatus
from leads.management.seeding.values import OPPORTUNITY_LOST_STATUSES, between

ADDRESS = ["address_line1", "city", "state_or_province", "postal_code", "country"]
CONTACT_DETAILS = [
    "salutation",
    "first_name",
    "last_name",
    "job_title",
    "email",
    "business_phone",
    "mobile_phone",
]


def _full_name(row):
    return " ".join(p for p in (row["first_name"], row["last_name"]) if p)


def account_row(lead, pk, primary_contact_id):
    """The account qualifying `lead` created; its contact is the primary one."""
    return {
        "id": pk,
        "name": lead["company_name"] or _full_name(lead),
        "website": lead["website"],
        "phone": lead["business_phone"],
        "industry": lead["industry"],
        "annual_revenue": lead["annual_revenue"],
        "number_of_employees": lead["number_of_employees"],
        **{name: lead[name] for name in ADDRESS},
        "owner_user_id": lead["owner_user_id"],
        "owner_team_id": lead["owner_team_id"],
        "business_unit_id": lead["business_unit_id"],
        "primary_contact_id": primary_contact_id,
        "created_at": lead["qualified_at"],
    }


def contact_row(lead, pk, account_id):
    return {
        "id": pk,
        **{name: lead[name] for name in CONTACT_DETAILS},
        "account_id": account_id,
        **{name: lead[name] for name in ADDRESS},
        "owner_user_id": lead["owner_user_id"],
        "owner_team_id": lead["owner_team_id"],
        "business_unit_id": lead["business_unit_id"],
        "created_at": lead["qualified_at"],
    }


def opportunity_row(ctx, lead, pk):
    """The opportunity; older ones are often won or lost already."""
    rng = ctx.rng
    row = {
        "id": pk,
        "name": lead["subject"],
        "account_id": lead["qualifying_account_id"],
        "contact_id": lead["qualifying_contact_id"],
        "estimated_value": lead["estimated_value"],
        "estimated_close_date": lead["estimated_close_date"],
        "owner_user_id": lead["owner_user_id"],
        "owner_team_id": lead["owner_team_id"],
        "business_unit_id": lead["business_unit_id"],
        "created_at": lead["qualified_at"],
    }
    age = (ctx.now - lead["qualified_at"]).days
    outcome = rng.random()
    if age > 20 and outcome < 0.6:
        close = between(rng, lead["qualified_at"], ctx.now)
        row["actual_close_date"] = close.date()
        row["closed_at"] = close
        if outcome < 0.35:
            row["state"] = int(OpportunityState.WON)
            row["status"] = int(OpportunityStatus.WON)
            row["actual_value"] = (
                lead["estimated_value"]
                * Decimal(rng.choice([70, 85, 100, 110, 125]))
                / 100
            ).quantize(Decimal("0.01"))
        else:
            row["state"] = int(OpportunityState.LOST)
            row["status"] = rng.choice(OPPORTUNITY_LOST_STATUSES)
    return row
