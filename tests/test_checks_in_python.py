"""Check constraints are decided in Python on save (ChecksInPython) and the verdict
is the database's own: for every combination below, check_passes() agrees with
Django's query (CheckConstraint.validate), and saving runs none of those queries."""

import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CheckConstraint
from django.test.utils import CaptureQueriesContext

from accounts.models import Opportunity, OpportunityState, OpportunityStatus
from leads.models import Campaign, Lead, LeadState, LeadStatus
from leadsite.core.validation import check_passes
from tests import factories

pytestmark = pytest.mark.django_db

MONEY = [None, Decimal("-1"), Decimal("0"), Decimal("5")]


def database_says(constraint, model, instance) -> bool:
    try:
        constraint.validate(model, instance)
    except ValidationError:
        return False
    return True


def checks(model):
    return [c for c in model._meta.constraints if isinstance(c, CheckConstraint)]


def assert_agrees(model, instance, values) -> int:
    """Every check of `model` decided in Python as the database decides it;
    `values` names the combination in a failure. Returns how many were compared."""
    for constraint in checks(model):
        verdict = check_passes(constraint, instance)
        assert verdict is not None, constraint.name
        assert verdict == database_says(constraint, model, instance), (
            constraint.name,
            *values,
        )
    return len(checks(model))


def test_lead_checks_agree_with_the_database(rep):
    master = factories.LeadFactory(owner_user=rep)
    team = factories.TeamFactory(business_unit=rep.business_unit)
    combinations = itertools.product(
        LeadState.values,
        LeadStatus.values,
        [False, True],  # merged
        [None, master],  # master
        MONEY,  # estimated value
        [(rep, None), (None, team), (None, None), (rep, team)],  # owners
    )
    compared = 0
    for values in combinations:
        state, status, merged, master_lead, value, (user, owner_team) = values
        # status is a protected FSM field: set once, when the lead is built.
        lead = Lead(
            business_unit=rep.business_unit,
            subject="S",
            last_name="L",
            state=state,
            status=status,
            merged=merged,
            master=master_lead,
            estimated_value=value,
            owner_user=user,
            owner_team=owner_team,
        )
        compared += assert_agrees(Lead, lead, values)
    assert compared > 1000


def test_opportunity_checks_agree_with_the_database(rep):
    account = factories.AccountFactory(owner_user=rep)
    for values in itertools.product(
        OpportunityState.values,
        OpportunityStatus.values,
        MONEY,
        [None, "2026-01-31"],  # as a form would hand it over: text
        MONEY,
    ):
        state, status, actual, close_date, value = values
        opportunity = Opportunity(
            name="O",
            owner_user=rep,
            business_unit=rep.business_unit,
            account=account,
            state=state,
            status=status,
            actual_value=actual,
            actual_close_date=close_date,
            estimated_value=value,
        )
        assert_agrees(Opportunity, opportunity, values)


def test_a_check_between_two_fields_still_asks_the_database():
    campaign = Campaign(
        name="Spring", start_date="2026-05-01", end_date="2026-04-01", cost=None
    )
    (dates,) = [c for c in checks(Campaign) if "end_date" in str(c.condition)]
    assert check_passes(dates, campaign) is None
    with pytest.raises(ValidationError):
        campaign.validate_constraints()


def test_saving_a_lead_runs_no_constraint_query(rep):
    lead = factories.LeadFactory.build(
        owner_user=rep, business_unit=rep.business_unit, estimated_value=Decimal("-5")
    )
    with CaptureQueriesContext(connection) as ctx:
        with pytest.raises(ValidationError) as raised:
            lead.validate_constraints()
    assert ctx.captured_queries == []
    assert raised.value.messages == [
        "Constraint “lead_money_non_negative” is violated."
    ]
    lead.estimated_value = Decimal("5")
    with CaptureQueriesContext(connection) as ctx:
        lead.validate_constraints()
    assert ctx.captured_queries == []
