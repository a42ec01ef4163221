"""Routing in batches (leads.services.routing_bulk) decides and writes what routing
the same leads one by one does: owners, units, log rows, change history,
notifications and round-robin cursors; in a number of queries that does not grow
with the batch."""

import pytest
from django.db import transaction
from django.utils import timezone

from leads.management.bench.routing import bench_import_routed
from leads.models import Lead, LeadAssignment, LeadState, LeadStatus, RoutingRule
from leads.services.routing import bulk_route_leads, route_lead
from leadsite.core import events
from leadsite.core.services import service_context
from notifications.models import Notification
from tests import factories
from tests.import_helpers import csv_upload, latest_batch, start, upload
from tests.task_worker import DATABASE_TASKS

pytestmark = pytest.mark.django_db

COUNTRIES = ["US", "DE", "FR", "JP", "US", "DE", "US", "FR", "FR", "US", "DE", "JP"]


class _Undo(Exception):
    pass


@pytest.fixture
def setup(org, administrator):
    """A round-robin team (one member inactive), a least-loaded team, a user with
    a capacity of two, a unit default owner for what no rule routes, and twelve
    leads of several countries owned by the administrator."""
    north = [
        factories.UserFactory(username=f"rr{i}", business_unit=org.north)
        for i in range(3)
    ]
    north[1].is_active = False
    north[1].save()
    south = [
        factories.UserFactory(username=f"ll{i}", business_unit=org.south)
        for i in range(2)
    ]
    factories.LeadFactory(owner_user=south[0])  # least loaded starts unequal
    capped = factories.UserFactory(username="capped", business_unit=org.south)
    capped.lead_capacity = 2
    capped.save()
    org.root.default_owner = factories.UserFactory(
        username="boss", business_unit=org.root
    )
    org.root.save()
    factories.RoutingRuleFactory(
        name="US",
        order=10,
        conditions=[{"field": "country", "op": "equals", "value": "US"}],
        target_user=None,
        target_team=factories.TeamFactory(business_unit=org.north, members=north),
        distribution="round_robin",
    )
    factories.RoutingRuleFactory(
        name="DE",
        order=20,
        conditions=[{"field": "country", "op": "equals", "value": "DE"}],
        target_user=None,
        target_team=factories.TeamFactory(business_unit=org.south, members=south),
        distribution="least_loaded",
    )
    factories.RoutingRuleFactory(
        name="FR",
        order=30,
        conditions=[{"field": "country", "op": "equals", "value": "FR"}],
        target_user=capped,
    )
    return [
        factories.LeadFactory(
            owner_user=administrator, business_unit=org.root, country=country
        )
        for country in COUNTRIES
    ]


def _outcome(pks):
    """What routing left, without ids and times."""
    leads = list(
        Lead.objects.filter(pk__in=pks)
        .order_by("pk")
        .values_list("pk", "owner_user", "owner_team", "business_unit", "version")
    )
    log = list(
        LeadAssignment.objects.filter(lead__in=pks)
        .order_by("id")
        .values_list(
            "lead", "rule", "assigned_user", "reason", "detail", "trigger", "by"
        )
    )
    history = list(
        Lead.history.filter(id__in=pks, history_type="~")
        .order_by("history_id")
        .values_list(
            "id",
            "owner_user",
            "business_unit",
            "history_user",
            "history_change_reason",
            "subject",
            "version",
        )
    )
    told = list(
        Notification.objects.order_by("id").values_list(
            "user", "kind", "text", "target_id", "actor", "email_state"
        )
    )
    cursors = list(
        RoutingRule.objects.order_by("pk").values_list("pk", "last_assigned_user")
    )
    return leads, log, history, told, cursors


def _routed_one_by_one(leads, by):
    try:
        with transaction.atomic():
            for lead in sorted(leads, key=lambda x: x.pk):
                route_lead(lead=lead, by=by, trigger="bulk")
            found = _outcome([lead.pk for lead in leads])
            raise _Undo
    except _Undo:
        pass
    return found


def test_bulk_routing_writes_what_routing_one_by_one_writes(setup, administrator):
    pks = [lead.pk for lead in setup]
    expected = _routed_one_by_one(setup, administrator)
    assert not LeadAssignment.objects.exists()  # rolled back
    result = bulk_route_leads(leads=setup, by=administrator, batch=5)
    assert result.refused == []
    assert [entry.lead.pk for entry in result.routed] == sorted(pks)
    got = _outcome(pks)
    for name, left, right in zip(
        ["leads", "log", "history", "notifications", "cursors"],
        got,
        expected,
        strict=True,
    ):
        assert left == right, name
    leads, log, history, told, _ = got
    # The case mix is covered: turns skip the inactive member, the capacity fills,
    # the least-loaded team evens out, the unrouted go to the default owner.
    reasons = {row[3] for row in log}
    assert {"matched", "team_full", "fallback"} <= reasons
    assert len(history) == len(pks) and len(told) == len(pks)


def test_bulk_routing_refuses_closed_and_deleted_leads_and_routes_the_rest(
    setup, administrator, rep
):
    target = factories.UserFactory(username="target")
    factories.RoutingRuleFactory(name="All", order=1, target_user=target)
    closed, gone, *rest = setup[:4]
    Lead.objects.filter(pk=closed.pk).update(
        state=LeadState.DISQUALIFIED, status=LeadStatus.LOST, closed_at=timezone.now()
    )
    with service_context("tests"):
        Lead.objects.filter(pk=gone.pk).delete()
    result = bulk_route_leads(leads=setup[:4], by=administrator, batch=2)
    assert [lead.pk for lead, _ in result.refused] == [closed.pk, gone.pk]
    assert "no longer exists" in result.refused[1][1]
    assert [e.lead.owner_user for e in result.routed] == [target, target]


@pytest.fixture
def no_listeners():
    """The events' listeners (notifications, webhooks) off: their queries are their
    own, one set per event."""
    saved = dict(events._sinks)
    events._sinks.clear()
    yield
    events._sinks.update(saved)


@pytest.mark.parametrize("size", [3, 12])
def test_bulk_routing_queries_do_not_grow_with_the_batch(
    setup, administrator, no_listeners, django_assert_max_num_queries, size
):
    """A batch reads and writes in a bounded number of statements, however many
    leads it routes (owner updates: one per receiving user, five here)."""
    with django_assert_max_num_queries(21):
        result = bulk_route_leads(leads=setup[:size], by=administrator, batch=size)
    assert len(result.routed) == size


def test_routed_import_gives_the_owners_log_and_history_of_routing_one_by_one(
    manager_client, manager, org, settings
):
    """An import's chunk is routed as a batch: round-robin turns in row order, one
    log row (trigger import) and one history row (channel import) per lead."""
    settings.TASKS = DATABASE_TASKS
    members = [
        factories.UserFactory(username=f"imp{i}", business_unit=org.south)
        for i in range(3)
    ]
    factories.RoutingRuleFactory(
        name="Team",
        target_user=None,
        target_team=factories.TeamFactory(business_unit=org.south, members=members),
        distribution="round_robin",
    )
    rows = "".join(f"Topic {i},Lee{i}\n" for i in range(7))
    upload(manager_client, csv_upload("subject,lastname\n" + rows))
    start(manager_client, latest_batch())
    leads = list(Lead.objects.order_by("pk"))
    expected = [members[i % 3].pk for i in range(7)]
    assert [lead.owner_user_id for lead in leads] == expected
    assert {lead.business_unit_id for lead in leads} == {org.south.pk}
    log = LeadAssignment.objects.order_by("id")
    assert [(e.lead_id, e.trigger) for e in log] == [(x.pk, "import") for x in leads]
    changed = Lead.history.filter(history_type="~").order_by("history_id")
    assert [(h.id, h.owner_user_id, h.history_change_reason) for h in changed] == [
        (lead.pk, lead.owner_user_id, "import") for lead in leads
    ]
    # The worker's import has no acting user (as when each row was routed alone:
    # a nested service keeps the outermost one's).
    assert [h.history_user_id for h in changed] == [None] * 7
    assert RoutingRule.objects.get().last_assigned_user_id == expected[-1]


def test_import_bench_scenario_rolls_back(administrator, rep):
    report = bench_import_routed(viewer=administrator, rows=5)
    assert (report["rows"], report["rules"]) == (5, 20)
    assert report["rows_per_s"] > 0
    assert not Lead.objects.exists()
    assert not RoutingRule.objects.exists()
