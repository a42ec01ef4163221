"""Routing many leads tells their owners as routing them one by one does (one
notification per lead and recipient, in the same words), but reads and writes the
notifications per batch: their number of queries does not grow with the leads."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import RoutingRule
from leads.services.routing import bulk_route_leads, route_lead
from notifications.models import Channel, EmailState, Kind, Notification
from notifications.services.delivery import save_preferences
from tests import factories
from tests.task_worker import DATABASE_TASKS, queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(org):
    """A round-robin team of three in the north unit, and its rule for every lead."""
    members = [
        factories.UserFactory(username=f"member{i}", business_unit=org.north)
        for i in range(3)
    ]
    factories.RoutingRuleFactory(
        name="Everyone",
        target_user=None,
        target_team=factories.TeamFactory(business_unit=org.north, members=members),
        distribution="round_robin",
    )
    return members


@pytest.fixture
def holders(org):
    """Six reps who hold the leads before they are routed (each is told a lead of
    theirs went to someone else)."""
    return [
        factories.UserFactory(username=f"holder{i}", business_unit=org.south)
        for i in range(6)
    ]


def _leads(holders, count, org):
    return [
        factories.LeadFactory(
            owner_user=holders[i % len(holders)], business_unit=org.south
        )
        for i in range(count)
    ]


def _queries(leads, by) -> int:
    with CaptureQueriesContext(connection) as ctx:
        result = bulk_route_leads(leads=leads, by=by)
    assert len(result.routed) == len(leads)
    return len(ctx.captured_queries)


def test_bulk_routing_with_notifications_costs_no_query_per_lead(
    org, team, holders, administrator
):
    """With the listeners on: routing 24 leads takes no more statements than
    routing 4 (the first also reads what later ones find cached); before, two
    more for each lead: the recipients' choices and the notification's insert."""
    few = _queries(_leads(holders, 4, org), administrator)
    many = _queries(_leads(holders, 24, org), administrator)
    assert many <= few <= 22
    # Each lead told its new owner and its previous holder.
    assert Notification.objects.filter(kind=Kind.LEAD_ASSIGNED).count() == 28
    assert Notification.objects.filter(kind=Kind.LEAD_REASSIGNED).count() == 28


def _told():
    return list(
        Notification.objects.order_by("id").values_list(
            "user", "kind", "text", "target_type", "target_id", "actor", "email_state"
        )
    )


def test_bulk_routing_tells_each_lead_as_routing_it_alone_does(
    org, team, holders, administrator, rep
):
    """One notification per routed lead for its new owner and one for its previous
    holder, in the order and words routing the leads one by one writes, with each
    recipient's choices: a kind turned off is not told, one chosen by email waits
    for the mailer."""
    save_preferences(user=holders[0], channels={Kind.LEAD_REASSIGNED: Channel.OFF})
    save_preferences(user=team[1], channels={Kind.LEAD_ASSIGNED: Channel.EMAIL})
    one_by_one = _leads(holders, 6, org)
    for lead in one_by_one:
        route_lead(lead=lead, by=rep, trigger="bulk")
    alone = _told()
    Notification.objects.all().delete()
    RoutingRule.objects.update(last_assigned_user=None)  # the same turns again
    together = _leads(holders, 6, org)
    bulk_route_leads(leads=together, by=rep, batch=4)
    batched = _told()
    # The same rows, but for the leads they name.
    names = {a.pk: (str(a), b) for a, b in zip(one_by_one, together, strict=True)}
    expected = []
    for user, kind, text, target_type, target_id, actor, state in alone:
        name, lead = names[target_id]
        text = text.replace(name, str(lead))
        expected.append((user, kind, text, target_type, lead.pk, actor, state))
    assert batched == expected
    assert len(batched) == 6 + 5  # holder0's leads: no "reassigned" (turned off)
    emailed = [row for row in batched if row[6] == EmailState.PENDING]
    assert {row[0] for row in emailed} == {team[1].pk}


def test_bulk_routing_wakes_the_mailer_for_a_notification_to_email(
    org, team, holders, administrator, settings
):
    settings.TASKS = DATABASE_TASKS
    save_preferences(user=team[2], channels={Kind.LEAD_ASSIGNED: Channel.EMAIL})
    bulk_route_leads(leads=_leads(holders, 3, org), by=administrator)
    assert queued_tasks() == ["notifications.tasks.send_notification_emails"]
