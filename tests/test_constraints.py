"""Check and unique constraints: a service or form refuses a record that breaks one
with the constraint's message and writes nothing (Django's full_clean asks the
database); a write around validation is refused by the database itself, and
refusal_for() turns that refusal into the same message."""

import contextlib
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Account, Opportunity, OpportunityState, OpportunityStatus
from leads.models import Campaign, Lead, LeadProduct, LeadState, LeadStatus
from leadsite.core.validation import refusal_for
from tests import factories
from tests.import_helpers import csv_upload, latest_batch, start, upload
from tests.task_worker import DATABASE_TASKS

pytestmark = pytest.mark.django_db

NEGATIVE = Decimal("-0.01")


@contextlib.contextmanager
def rejected():
    """The failing statement runs in its own savepoint so PostgreSQL can go on."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


def refused(write) -> ValidationError | None:
    """refusal_for() of the IntegrityError that `write()` raises."""
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        write()
    return refusal_for(raised.value)


# --- what a user reads ----------------------------------------------------------------


def test_service_refuses_a_record_owned_by_user_and_team(rep, org):
    team = factories.TeamFactory(business_unit=org.north)
    with pytest.raises(ValidationError) as raised:
        account_services.create_account(
            name="Fabrikam", owner_user=rep, owner_team=team
        )
    assert raised.value.messages == [
        "A record is owned by a user or by a team, exactly one."
    ]
    assert not Account.objects.exists()


def test_service_refuses_an_opportunity_without_customer(rep):
    with pytest.raises(ValidationError) as raised:
        account_services.create_opportunity(name="Big deal", owner_user=rep)
    assert raised.value.messages == [
        "An opportunity needs a customer account or contact."
    ]
    assert not Opportunity.objects.exists()


def test_form_shows_the_constraint_message(admin_client_):
    response = admin_client_.post(
        reverse("admin:leads_campaign_add"),
        {"name": "Spring", "start_date": "2026-05-01", "end_date": "2026-04-01"},
    )
    assert response.status_code == 200
    assert "A campaign cannot end before it starts." in response.content.decode()
    assert not Campaign.objects.exists()


def test_constraint_without_its_own_message_names_itself(rep):
    lead = factories.LeadFactory.build(
        owner_user=rep, business_unit=rep.business_unit, estimated_value=NEGATIVE
    )
    with pytest.raises(ValidationError) as raised:
        lead.validate_constraints()
    assert raised.value.messages == [
        "Constraint “lead_money_non_negative” is violated."
    ]


def test_database_refusal_reads_as_the_constraint_message(db):
    refusal = refused(
        lambda: Campaign.objects.bulk_create(
            [
                Campaign(
                    name="Spring",
                    start_date=datetime.date(2026, 5, 1),
                    end_date=datetime.date(2026, 4, 1),
                )
            ]
        )
    )
    assert refusal.messages == ["A campaign cannot end before it starts."]
    assert not Campaign.objects.exists()


def test_database_refusal_of_one_field_is_beside_that_field(db):
    refusal = refused(
        lambda: Campaign.objects.bulk_create([Campaign(name="Old", cost=NEGATIVE)])
    )
    assert refusal.message_dict == {
        "cost": ["Constraint “campaign_cost_non_negative” is violated."]
    }


def test_database_refusal_of_a_unique_constraint_is_found(rep):
    interest = factories.LeadProductFactory(lead__owner_user=rep)
    refusal = refused(
        lambda: LeadProduct.objects.bulk_create(
            [LeadProduct(lead=interest.lead, product=interest.product)]
        )
    )
    assert refusal.messages == ["Constraint “lead_product_unique” is violated."]


def test_import_row_the_database_refuses_reads_as_the_message(
    settings, manager_client, manager
):
    """Imported rows go in with one insert, checked by the database only: a row it
    refuses fails with the constraint's message, and the others are imported."""
    settings.TASKS = DATABASE_TASKS
    upload(
        manager_client,
        csv_upload(
            "Topic,Last Name,Created On\nA,Recent,2023-03-14\nB,Old,0001-01-01\n"
        ),
    )
    batch = start(manager_client, latest_batch())
    assert (batch.created_count, batch.failed_count) == (1, 1)
    assert batch.rows.get(line=3).message == (
        "Refused: created_at: Enter a date between 1900 and 2200."
    )
    assert list(Lead.objects.values_list("last_name", flat=True)) == ["Recent"]


def test_other_database_errors_are_no_refusal(rep):
    lead = factories.LeadFactory(owner_user=rep)
    assert refused(lambda: Lead.objects.filter(pk=lead.pk).update(subject=None)) is None


# --- the database's own guard -------------------------------------------------------------


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
