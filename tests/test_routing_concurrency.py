"""Routing under a race, on real concurrent PostgreSQL connections: round-robin
turns are never shared, least-loaded never overfills a capacity, overlapping
response-time runs re-route a lead once, and the lead lock survives a concurrent
change of the lead's business unit."""

import collections
import datetime
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from leads.models import Lead, LeadAssignment, LeadSource
from leads.services.lifecycle import assign_lead, create_lead
from leads.services.locks import lock_lead
from leads.services.routing import reroute_overdue_leads, route_lead
from tests import factories
from tests.support import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite has no row locks or concurrent writers",
    ),
]

WEB = [{"field": "source", "op": "equals", "value": int(LeadSource.WEB)}]


@pytest.fixture
def setup():
    unit = factories.BusinessUnitFactory(name="North")
    creator = factories.UserFactory(username="creator", business_unit=unit)
    members = [
        factories.UserFactory(username=name, business_unit=unit)
        for name in ("ann", "bob", "cat")
    ]
    team = factories.TeamFactory(business_unit=unit, members=members)
    return creator, team, members


def test_thirty_concurrent_leads_give_exactly_ten_each(setup):
    creator, team, members = setup
    factories.RoutingRuleFactory(
        name="Web round robin", conditions=WEB, target_user=None, target_team=team
    )
    leads = [
        factories.LeadFactory(
            owner_user=creator, business_unit=creator.business_unit, source=8
        )
        for _ in range(30)
    ]
    outcomes = run_together(
        *[
            lambda lead=lead: route_lead(lead=lead, by=creator, trigger="import")
            for lead in leads
        ]
    )
    assert [kind for kind, _ in outcomes] == ["ok"] * 30, outcomes
    counts = collections.Counter(
        Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list(
            "owner_user", flat=True
        )
    )
    assert counts == {m.pk: 10 for m in members}
    assert LeadAssignment.objects.count() == 30


def test_concurrent_creates_route_fairly_too(setup):
    creator, team, members = setup
    factories.RoutingRuleFactory(
        name="Web round robin", conditions=WEB, target_user=None, target_team=team
    )
    outcomes = run_together(
        *[
            lambda i=i: create_lead(
                by=creator, subject=f"Web {i}", last_name="Ng", source=LeadSource.WEB
            )
            for i in range(12)
        ]
    )
    assert [kind for kind, _ in outcomes] == ["ok"] * 12, outcomes
    counts = collections.Counter(lead.owner_user_id for _, lead in outcomes)
    assert counts == {m.pk: 4 for m in members}


def test_least_loaded_never_overfills_capacity_under_a_race(setup):
    creator, team, members = setup
    for member in members:
        member.lead_capacity = 4
        member.save()
    factories.RoutingRuleFactory(
        name="Web least loaded",
        conditions=WEB,
        target_user=None,
        target_team=team,
        distribution="least_loaded",
    )
    leads = [
        factories.LeadFactory(
            owner_user=creator, business_unit=creator.business_unit, source=8
        )
        for _ in range(20)
    ]
    outcomes = run_together(
        *[lambda lead=lead: route_lead(lead=lead, by=creator) for lead in leads]
    )
    assert [kind for kind, _ in outcomes] == ["ok"] * 20, outcomes
    for member in members:
        assert Lead.objects.filter(owner_user=member).count() == 4
    # The other eight found everyone at capacity and stayed with their creator.
    assert Lead.objects.filter(owner_user=creator).count() == 8
    assert LeadAssignment.objects.filter(reason="unchanged").count() == 8


# --- response-time runs and the lead lock ---------------------------------------------


def _lock_waiters() -> int:
    """Backends of this test database waiting for a lock now."""
    with connection.cursor() as cursor:
        # pg_stat_activity is a snapshot held for the transaction: take a new one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def _wait_until(predicate, timeout=10.0) -> bool:
    """Poll `predicate` until it holds (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _in_threads(*calls):
    """Start each call in its own thread and DB connection; returns a function
    that joins them and gives their outcomes."""
    outcomes = [None] * len(calls)

    def worker(index, call):
        try:
            outcomes[index] = ("ok", call())
        except Exception as error:  # noqa: BLE001 - the outcome is what is tested
            outcomes[index] = ("error", error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()

    def join():
        for thread in threads:
            thread.join(timeout=60)
        return outcomes

    return join


@pytest.fixture
def overdue(setup):
    """40 leads routed by a round-robin rule with a 1-hour response time, two hours
    ago, and nobody has called them."""
    creator, team, members = setup
    factories.RoutingRuleFactory(
        name="Web round robin",
        conditions=WEB,
        target_user=None,
        target_team=team,
        reroute_after_hours=1,
    )
    leads = [
        factories.LeadFactory(
            owner_user=creator, business_unit=creator.business_unit, source=8
        )
        for _ in range(40)
    ]
    for lead in leads:
        route_lead(lead=lead, by=creator, trigger="import")
    LeadAssignment.objects.update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    return leads


def test_two_overlapping_reroute_runs_reroute_each_lead_once(overdue):
    now = timezone.now()
    with transaction.atomic():
        # Someone holds the leads while both runs read the overdue list and
        # start: the runs overlap for certain, as two cron hosts' runs do.
        list(Lead.objects.select_for_update().filter(pk__in=[x.pk for x in overdue]))
        join = _in_threads(
            lambda: reroute_overdue_leads(now=now),
            lambda: reroute_overdue_leads(now=now),
        )
        assert _wait_until(lambda: _lock_waiters() >= 2)
    outcomes = join()

    rows = collections.Counter(
        LeadAssignment.objects.filter(trigger="reroute").values_list(
            "lead_id", flat=True
        )
    )
    assert rows == {lead.pk: 1 for lead in overdue}
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    first, second = (result for _, result in outcomes)
    assert len(first.rerouted) + len(second.rerouted) == 40
    assert len(first.skipped) + len(second.skipped) == 40
    assert first.failed == second.failed == []
    # Each lead went to another member than the one who had it.
    assert not Lead.objects.filter(owner_user=None).exists()


def test_a_lead_busy_past_the_lock_timeout_fails_alone(overdue):
    busy = overdue[5]

    def run():
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        return reroute_overdue_leads()

    with transaction.atomic():
        Lead.objects.select_for_update().get(pk=busy.pk)
        [(kind, result)] = _in_threads(run)()
    assert kind == "ok", result
    assert [lead.pk for lead, _ in result.failed] == [busy.pk]
    assert "busy" in result.failed[0][1]
    assert len(result.rerouted) == 39
    assert not LeadAssignment.objects.filter(lead=busy, trigger="reroute").exists()


@pytest.mark.parametrize(
    "related",
    [(), ("qualifying_opportunity", "owner_user", "owner_team", "business_unit")],
    ids=["nothing joined", "as qualify_lead"],
)
def test_lock_lead_waits_for_a_business_unit_change_and_finds_the_lead(setup, related):
    """A lead moved to another unit while lock_lead waits for it is found, with
    its new unit (it read "This lead no longer exists." when the lock's query
    joined the business unit)."""
    creator, _, _ = setup
    south = factories.BusinessUnitFactory(name="South")
    dan = factories.UserFactory(username="dan", business_unit=south)
    lead = factories.LeadFactory(
        owner_user=creator, business_unit=creator.business_unit
    )

    def lock():
        with transaction.atomic():
            locked = lock_lead(lead.pk, related=related)
            return locked.business_unit_id, locked.owner_user_id

    with transaction.atomic():
        assign_lead(lead=lead, by=creator, owner_user=dan)
        join = _in_threads(lock)
        assert _wait_until(lambda: _lock_waiters() >= 1)
    [(kind, value)] = join()
    assert (kind, value) == ("ok", (south.pk, dan.pk))
