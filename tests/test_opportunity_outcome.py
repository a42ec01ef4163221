"""Closing opportunities as won or lost and reopening them (the outcome machine)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django_fsm_log.models import StateLog

from accounts import services
from accounts.models import (
    OPPORTUNITY_STATE_OF_STATUS,
    Opportunity,
    OpportunityState,
    OpportunityStatus,
)
from tests import factories

TODAY = datetime.date(2025, 3, 14)


def _reloaded(opportunity):
    return Opportunity.objects.get(pk=opportunity.pk)


def _assert_consistent(opportunity):
    assert opportunity.state == OPPORTUNITY_STATE_OF_STATUS[opportunity.status]


def test_win_records_actuals_and_logs_who(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    services.win_opportunity(
        opportunity=opportunity,
        by=rep,
        actual_value=Decimal("4200.50"),
        actual_close_date=TODAY,
    )
    won = _reloaded(opportunity)
    assert (won.state, won.status) == (OpportunityState.WON, OpportunityStatus.WON)
    assert (won.actual_value, won.actual_close_date) == (Decimal("4200.50"), TODAY)
    assert won.closed_at is not None
    _assert_consistent(won)
    log = StateLog.objects.for_(won).get()
    assert (log.by, log.transition) == (rep, "win")
    assert (log.source_state, log.state) == (
        str(OpportunityStatus.IN_PROGRESS.value),
        str(OpportunityStatus.WON.value),
    )


@pytest.mark.parametrize(
    ("value", "date", "field"),
    [(None, TODAY, "actual_value"), (Decimal("10"), None, "actual_close_date")],
)
def test_win_requires_value_and_date(rep, value, date, field):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    with pytest.raises(ValidationError) as error:
        services.win_opportunity(
            opportunity=opportunity, by=rep, actual_value=value, actual_close_date=date
        )
    assert field in error.value.message_dict
    assert _reloaded(opportunity).state == OpportunityState.OPEN
    assert not StateLog.objects.for_(opportunity).exists()


def test_win_refuses_negative_revenue(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    with pytest.raises(ValidationError, match="negative"):
        services.win_opportunity(
            opportunity=opportunity,
            by=rep,
            actual_value=Decimal("-1"),
            actual_close_date=TODAY,
        )


def test_win_twice_is_refused_with_a_message(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    services.win_opportunity(
        opportunity=opportunity,
        by=rep,
        actual_value=Decimal("1"),
        actual_close_date=TODAY,
    )
    # `opportunity` is now a stale copy, like a second click on an old page.
    with pytest.raises(ValidationError) as error:
        services.win_opportunity(
            opportunity=opportunity,
            by=rep,
            actual_value=Decimal("2"),
            actual_close_date=TODAY,
        )
    assert error.value.messages == ["Cannot win this opportunity: it is won now."]
    assert _reloaded(opportunity).actual_value == Decimal("1")
    assert StateLog.objects.for_(opportunity).count() == 1


@pytest.mark.parametrize(
    "reason", [OpportunityStatus.CANCELED, OpportunityStatus.OUT_SOLD]
)
def test_lose_with_a_reason_and_description(rep, reason):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    services.lose_opportunity(
        opportunity=opportunity, by=rep, reason=reason, description="Went with Fabrikam"
    )
    lost = _reloaded(opportunity)
    assert (lost.state, lost.status) == (OpportunityState.LOST, reason)
    assert lost.actual_value is None
    _assert_consistent(lost)
    log = StateLog.objects.for_(lost).get()
    assert (log.by, log.transition, log.description) == (
        rep,
        "lose",
        "Went with Fabrikam",
    )


@pytest.mark.parametrize(
    "reason", [None, "", "x", OpportunityStatus.WON, OpportunityStatus.IN_PROGRESS, 99]
)
def test_lose_requires_a_lost_reason(rep, reason):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    with pytest.raises(ValidationError) as error:
        services.lose_opportunity(opportunity=opportunity, by=rep, reason=reason)
    assert "reason" in error.value.message_dict
    assert _reloaded(opportunity).is_open


def test_lose_accepts_reason_as_submitted_text(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    services.lose_opportunity(opportunity=opportunity, by=rep, reason="4")
    assert _reloaded(opportunity).status == OpportunityStatus.CANCELED


def test_lose_a_won_opportunity_is_refused(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, won=True)
    with pytest.raises(
        ValidationError, match="Cannot lose this opportunity: it is won"
    ):
        services.lose_opportunity(
            opportunity=opportunity, by=rep, reason=OpportunityStatus.CANCELED
        )
    assert _reloaded(opportunity).status == OpportunityStatus.WON


def test_win_a_lost_opportunity_is_refused(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, lost=True)
    with pytest.raises(ValidationError, match="it is out-sold now"):
        services.win_opportunity(
            opportunity=opportunity,
            by=rep,
            actual_value=Decimal("1"),
            actual_close_date=TODAY,
        )


@pytest.mark.parametrize("trait", ["won", "lost"])
def test_reopen_clears_the_outcome(rep, trait):
    opportunity = factories.OpportunityFactory(owner_user=rep, **{trait: True})
    services.reopen_opportunity(opportunity=opportunity, by=rep)
    reopened = _reloaded(opportunity)
    assert (reopened.state, reopened.status) == (
        OpportunityState.OPEN,
        OpportunityStatus.IN_PROGRESS,
    )
    assert (reopened.actual_value, reopened.actual_close_date, reopened.closed_at) == (
        None,
        None,
        None,
    )
    assert StateLog.objects.for_(reopened).get().transition == "reopen"


def test_reopen_an_open_opportunity_is_refused(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    with pytest.raises(ValidationError, match="already open"):
        services.reopen_opportunity(opportunity=opportunity, by=rep)


def test_full_cycle_is_logged_in_order(rep, manager):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    services.lose_opportunity(opportunity=opportunity, by=rep, reason=5)
    services.reopen_opportunity(opportunity=opportunity, by=manager)
    services.win_opportunity(
        opportunity=opportunity,
        by=rep,
        actual_value=Decimal("7"),
        actual_close_date=TODAY,
    )
    logs = StateLog.objects.for_(opportunity).order_by("timestamp", "pk")
    assert [(log.transition, log.by) for log in logs] == [
        ("lose", rep),
        ("reopen", manager),
        ("win", rep),
    ]
    _assert_consistent(_reloaded(opportunity))


def test_database_refuses_state_and_status_that_disagree(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    with pytest.raises(IntegrityError):
        Opportunity.objects.filter(pk=opportunity.pk).update(state=OpportunityState.WON)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_win_and_lose_yield_one_outcome():
    """Two users closing the same opportunity at once: the row lock lets exactly one
    through; the other gets the "cannot ... now" message."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and real concurrent connections")
    # A plain user: role groups may have been flushed by an earlier transactional
    # test, and the services do not look at roles.
    rep = factories.UserFactory(username="closer")
    opportunity = factories.OpportunityFactory(owner_user=rep)
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(action):
        try:
            barrier.wait(timeout=10)
            action()
            outcomes.append("done")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connections.close_all()

    win = lambda: services.win_opportunity(  # noqa: E731
        opportunity=opportunity,
        by=rep,
        actual_value=Decimal("1"),
        actual_close_date=TODAY,
    )
    lose = lambda: services.lose_opportunity(  # noqa: E731
        opportunity=opportunity, by=rep, reason=OpportunityStatus.CANCELED
    )
    threads = [threading.Thread(target=attempt, args=(f,)) for f in (win, lose)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes.count("done") == 1
    (refusal,) = [o for o in outcomes if o != "done"]
    assert refusal.startswith("Cannot ")
    final = _reloaded(opportunity)
    assert final.state in (OpportunityState.WON, OpportunityState.LOST)
    _assert_consistent(final)
    assert StateLog.objects.for_(final).count() == 1
