"""Rows qualification creates: the account, contact and opportunity of a qualified
lead, copied from the lead as the qualification service copies them."""

import datetime
import random
from decimal import Decimal

from accounts.models import (
    ADDRESS_FIELDS,
    TYPICAL_PROBABILITY,
    OpportunityState,
    OpportunityStatus,
    SalesStage,
    StageProcess,
    StageStep,
)
from leads.management.seeding.values import OPPORTUNITY_LOST_STATUSES, between
from leads.models import ACCOUNT_FIELDS_FROM_LEAD, LEAD_CONTACT_FIELDS


def _copied(lead, names):
    """The lead row's values of `names`; a column the row leaves out (an address
    line the demo never fills) stays at its default in the copy too."""
    return {name: lead[name] for name in names if name in lead}


def _full_name(row):
    return " ".join(p for p in (row["first_name"], row["last_name"]) if p)


def account_row(lead, pk, primary_contact_id):
    """The account qualifying `lead` created; its contact is the primary one."""
    return {
        "id": pk,
        "name": lead["company_name"] or _full_name(lead),
        **{
            field: lead[lead_field]
            for field, lead_field in ACCOUNT_FIELDS_FROM_LEAD.items()
        },
        **_copied(lead, ADDRESS_FIELDS),
        "owner_user_id": lead["owner_user_id"],
        "owner_team_id": lead["owner_team_id"],
        "business_unit_id": lead["business_unit_id"],
        "primary_contact_id": primary_contact_id,
        "created_at": lead["qualified_at"],
    }


def contact_row(lead, pk, account_id):
    return {
        "id": pk,
        **{name: lead[name] for name in LEAD_CONTACT_FIELDS},
        "account_id": account_id,
        **_copied(lead, ADDRESS_FIELDS),
        "owner_user_id": lead["owner_user_id"],
        "owner_team_id": lead["owner_team_id"],
        "business_unit_id": lead["business_unit_id"],
        "created_at": lead["qualified_at"],
    }


# Open deals by stage: most are early.
# The lead was the Qualify stage: its opportunity is at Develop or later.
STAGE_WEIGHTS = {
    SalesStage.DEVELOP: 50,
    SalesStage.PROPOSE: 32,
    SalesStage.CLOSE: 18,
}


def _stage_and_probability(pk):
    """A plausible stage and probability (the stage's usual one, give or take 5);
    drawn from a generator of its own so the demo's other draws stay as they were."""
    rng = random.Random(pk)
    stage = rng.choices(list(STAGE_WEIGHTS), weights=list(STAGE_WEIGHTS.values()))[0]
    return stage, TYPICAL_PROBABILITY[stage] + rng.choice([-5, 0, 0, 5])


def opportunity_row(ctx, lead, pk):
    """The opportunity; older ones are often won or lost already. Open and lost
    ones are at some stage (a lost one at 0 %), won ones at Close with 100 %."""
    rng = ctx.rng
    stage, probability = _stage_and_probability(pk)
    row = {
        "id": pk,
        "name": lead["subject"],
        "account_id": lead["qualifying_account_id"],
        "contact_id": lead["qualifying_contact_id"],
        "estimated_value": lead["estimated_value"],
        "estimated_close_date": lead["estimated_close_date"],
        "sales_stage": int(stage),
        "close_probability": probability,
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
            row["sales_stage"] = int(SalesStage.CLOSE)
            row["close_probability"] = 100
            row["actual_value"] = (
                lead["estimated_value"]
                * Decimal(rng.choice([70, 85, 100, 110, 125]))
                / 100
            ).quantize(Decimal("0.01"))
        else:
            row["state"] = int(OpportunityState.LOST)
            row["status"] = rng.choice(OPPORTUNITY_LOST_STATUSES)
            row["close_probability"] = 0
    return row


def stage_visit_rows(ctx, opportunity):
    """The opportunity's time in each stage from Develop to where it is: a few days
    to a few weeks each, the last one open while the deal is (else ended when it
    closed). Drawn from a generator of its own, as the stage is."""
    rng = random.Random(-opportunity["id"])
    end = opportunity.get("closed_at") or ctx.now
    entered = opportunity["created_at"]
    stages = range(SalesStage.DEVELOP, opportunity["sales_stage"] + 1)
    rows = []
    for position, stage in enumerate(stages):
        last = position == len(stages) - 1
        left = (
            end
            if last
            else min(end, entered + datetime.timedelta(days=rng.uniform(2, 24)))
        )
        rows.append(
            {
                "opportunity_id": opportunity["id"],
                "stage": int(stage),
                "entered_at": entered,
                "left_at": None if last and "closed_at" not in opportunity else left,
            }
        )
        entered = left
    return rows


# Steps the demo marks required (a fresh database requires none): a deal needs its
# estimated revenue before Propose, and the proposal sent before Close.
DEMO_REQUIRED_STEPS = [
    (SalesStage.DEVELOP, "Estimated revenue"),
    (SalesStage.PROPOSE, "Proposal sent"),
]


def require_demo_steps():
    StageStep.objects.filter(
        process=StageProcess.OPPORTUNITY,
        stage__in=[stage for stage, _ in DEMO_REQUIRED_STEPS],
        name__in=[name for _, name in DEMO_REQUIRED_STEPS],
    ).update(required=True)
