"""Database constraints hold even when code bypasses model validation."""

import contextlib
import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import OpportunityState, OpportunityStatus
from leads.models import LeadState, LeadStatus
from tests import factories

pytestmark = pytest.mark.django_db

NEGATIVE = Decimal("-0.01")


@contextlib.contextmanager
def rejected():
    """The failing statement runs in its own savepoint so PostgreSQL can go on."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


OWNED = [
    factories.LeadFactory,
    factories.AccountFactory,
    factories.ContactFactory,
    factories.OpportunityFactory,
]


@pytest.fixture
def team(org):
    return factories.TeamFactory(business_unit=org.north)


@pytest.fixture
def user(org):
    return factories.UserFactory(business_unit=org.north)


@pytest.mark.parametrize("factory", OWNED, ids=lambda f: f._meta.model.__name__)
def test_owner_user_or_team_both_rejected(factory, org, user, team):
    extra = (
        {"account": factories.AccountFactory(owner_user=user)}
        if (factory is factories.OpportunityFactory)
        else {}
    )
    with rejected():
        factory(owner_user=user, owner_team=team, business_unit=org.north, **extra)


@pytest.mark.parametrize("factory", OWNED, ids=lambda f: f._meta.model.__name__)
def test_owner_user_or_team_neither_rejected(factory, org, user):
    extra = (
        {"account": factories.AccountFactory(owner_user=user)}
        if (factory is factories.OpportunityFactory)
        else {}
    )
    with rejected():
        factory(owner_user=None, owner_team=None, business_unit=org.north, **extra)


@pytest.mark.parametrize("factory", OWNED, ids=lambda f: f._meta.model.__name__)
def test_owner_team_alone_accepted(factory, org, team, user):
    extra = (
        {"account": factories.AccountFactory(owner_user=user)}
        if (factory is factories.OpportunityFactory)
        else {}
    )
    record = factory(owner_user=None, owner_team=team, **extra)
    assert record.owner == team
    assert record.business_unit == org.north


@pytest.mark.parametrize(
    "state,status",
    [
        (LeadState.QUALIFIED, LeadStatus.NEW),
        (LeadState.OPEN, LeadStatus.QUALIFIED),
        (LeadState.OPEN, LeadStatus.LOST),
        (LeadState.DISQUALIFIED, LeadStatus.CONTACTED),
        (LeadState.QUALIFIED, LeadStatus.CANCELED),
    ],
)
def test_lead_state_and_status_must_agree(user, state, status):
    with rejected():
        factories.LeadFactory(owner_user=user, state=state, status=status)


def test_lead_state_change_behind_the_machine_rejected(user):
    lead = factories.LeadFactory(owner_user=user)
    with rejected():
        type(lead).objects.filter(pk=lead.pk).update(state=LeadState.QUALIFIED)


@pytest.mark.parametrize(
    "state,status",
    [
        (OpportunityState.WON, OpportunityStatus.IN_PROGRESS),
        (OpportunityState.OPEN, OpportunityStatus.OUT_SOLD),
        (OpportunityState.LOST, OpportunityStatus.WON),
    ],
)
def test_opportunity_state_and_status_must_agree(user, state, status):
    with rejected():
        factories.OpportunityFactory(
            owner_user=user,
            state=state,
            status=status,
            actual_value=Decimal("1"),
            actual_close_date=timezone.localdate(),
        )


def test_won_opportunity_needs_actuals(user):
    with rejected():
        factories.OpportunityFactory(owner_user=user, won=True, actual_value=None)
    with rejected():
        factories.OpportunityFactory(owner_user=user, won=True, actual_close_date=None)
    won = factories.OpportunityFactory(owner_user=user, won=True)
    assert won.state == OpportunityState.WON


def test_opportunity_needs_a_customer(user):
    with rejected():
        factories.OpportunityFactory(owner_user=user, account=None, contact=None)


@pytest.mark.parametrize(
    "field", ["annual_revenue", "budget_amount", "estimated_value"]
)
def test_lead_money_not_negative(user, field):
    with rejected():
        factories.LeadFactory(owner_user=user, **{field: NEGATIVE})


def test_account_revenue_not_negative(user):
    with rejected():
        factories.AccountFactory(owner_user=user, annual_revenue=NEGATIVE)


@pytest.mark.parametrize("field", ["estimated_value", "actual_value"])
def test_opportunity_money_not_negative(user, field):
    with rejected():
        factories.OpportunityFactory(owner_user=user, **{field: NEGATIVE})


def test_campaign_cost_not_negative(db):
    with rejected():
        factories.CampaignFactory(cost=NEGATIVE)


def test_campaign_cannot_end_before_it_starts(db):
    with rejected():
        factories.CampaignFactory(
            start_date=datetime.date(2026, 2, 1), end_date=datetime.date(2026, 1, 1)
        )


def test_product_price_not_negative(db):
    with rejected():
        factories.ProductFactory(price=NEGATIVE)


def test_zero_money_is_fine(user):
    lead = factories.LeadFactory(owner_user=user, estimated_value=Decimal("0"))
    assert lead.pk


TIMELINE = [
    factories.ActivityFactory,
    factories.NoteFactory,
    factories.AttachmentFactory,
]


@pytest.mark.parametrize("factory", TIMELINE, ids=lambda f: f._meta.model.__name__)
def test_timeline_item_without_a_record_rejected(factory, user):
    with rejected():
        factory(lead=None)


@pytest.mark.parametrize("factory", TIMELINE, ids=lambda f: f._meta.model.__name__)
def test_timeline_item_regarding_two_records_rejected(factory, user):
    lead = factories.LeadFactory(owner_user=user)
    account = factories.AccountFactory(owner_user=user)
    with rejected():
        factory(lead=lead, account=account)


@pytest.mark.parametrize("factory", TIMELINE, ids=lambda f: f._meta.model.__name__)
def test_timeline_item_regarding_one_account_accepted(factory, user):
    account = factories.AccountFactory(owner_user=user)
    item = factory(lead=None, account=account)
    assert item.regarding == account


def test_activity_cannot_end_before_start(user):
    start = timezone.now()
    with rejected():
        factories.ActivityFactory(
            start_at=start, end_at=start - datetime.timedelta(minutes=1)
        )


def test_merged_lead_needs_master(user):
    with rejected():
        factories.LeadFactory(
            owner_user=user,
            state=LeadState.DISQUALIFIED,
            status=LeadStatus.CANCELED,
            merged=True,
            master=None,
        )
    master = factories.LeadFactory(owner_user=user)
    merged = factories.LeadFactory(
        owner_user=user,
        state=LeadState.DISQUALIFIED,
        status=LeadStatus.CANCELED,
        merged=True,
        master=master,
    )
    assert merged.master == master


def test_routing_rule_targets_user_or_team_exactly(user, team):
    with rejected():
        factories.RoutingRuleFactory(target_user=user, target_team=team)
    with rejected():
        factories.RoutingRuleFactory(target_user=None, target_team=None)
    assert factories.RoutingRuleFactory(target_user=None, target_team=team).pk


def test_lead_account_link_is_unique(user):
    link = factories.LeadAccountFactory(lead__owner_user=user, account__owner_user=user)
    with rejected():
        factories.LeadAccountFactory(lead=link.lead, account=link.account)


def test_lead_contact_link_is_unique(user):
    link = factories.LeadContactFactory(lead__owner_user=user, contact__owner_user=user)
    with rejected():
        factories.LeadContactFactory(lead=link.lead, contact=link.contact)


def test_lead_product_interest_is_unique_and_not_negative(user):
    interest = factories.LeadProductFactory(lead__owner_user=user)
    with rejected():
        factories.LeadProductFactory(lead=interest.lead, product=interest.product)
    with rejected():
        factories.LeadProductFactory(lead=interest.lead, quantity=Decimal("-1"))


def test_opportunity_product_line_is_unique_and_not_negative(user):
    line = factories.OpportunityProductFactory(opportunity__owner_user=user)
    with rejected():
        factories.OpportunityProductFactory(
            opportunity=line.opportunity, product=line.product
        )
    with rejected():
        factories.OpportunityProductFactory(
            opportunity=line.opportunity, price_per_unit=NEGATIVE
        )
