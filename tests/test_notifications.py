"""Notifications: who is told what (routing, re-routing, reminders on a controlled
clock, imports, webhook pauses), and never of their own action. Email and
preferences: tests/test_notifications_email.py; the bell and the pages:
tests/test_notifications_pages.py."""

import datetime
import zoneinfo

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.formats import date_format

from accounts.permissions import SALES_REP
from leads.models import ActivityKind, ActivityState
from leads.services import imports as import_services
from leads.services import lifecycle
from leads.services.capture import capture_lead
from leads.services.routing import reroute_overdue_leads, route_lead
from leads.services.timeline import cancel_activity
from notifications.models import Kind, Notification
from notifications.services.reminders import send_reminders
from tests import factories
from tests.notification_helpers import WEB, H, M, to_user_rule, told, web_lead
from tests.support import ensure_roles
from webhooks.models import PauseReason
from webhooks.sending import Sent
from webhooks.services.delivery import claim_next_delivery, record_attempt
from webhooks.services.outbox import fan_out_events
from webhooks.services.subscriptions import create_subscription, pause_subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def north_team(org, rep):
    """Rep and Nora (North) share the North web team."""
    ensure_roles()
    nora = factories.UserFactory(
        username="nora", first_name="Nora", business_unit=org.north
    )
    nora.groups.add(Group.objects.get(name=SALES_REP))
    return factories.TeamFactory(
        name="North web", business_unit=org.north, members=[rep, nora]
    )


# --- a lead routed or assigned to you, or away from you -------------------------------


def test_a_routed_lead_tells_its_new_owner_and_not_the_user_who_routed_it(rep, manager):
    to_user_rule(rep)
    lead = web_lead(manager)
    route_lead(lead=lead, by=manager)
    [note] = told(rep)
    assert note.kind == Kind.LEAD_ASSIGNED and note.actor == manager
    assert (note.target_type, note.target_id) == ("leads.lead", lead.pk)
    assert note.text == f"{lead} was routed to you (lead form)."
    # The manager owned it before and routed it away: their own action.
    assert told(manager) == []


def test_your_own_assignment_tells_you_nothing_and_the_previous_owner_is_told(
    rep, manager
):
    lead = web_lead(rep)
    lifecycle.assign_lead(lead=lead, by=manager, owner_user=manager)
    assert told(manager) == []
    [note] = told(rep)
    assert note.kind == Kind.LEAD_REASSIGNED and note.actor == manager
    assert note.text == f"{lead} was assigned to {manager}."

    lifecycle.assign_lead(lead=lead, by=manager, owner_user=rep)
    [assigned] = told(rep, Kind.LEAD_ASSIGNED)
    assert assigned.text == f"{lead} was assigned to you."


def test_routing_that_keeps_the_owner_tells_nobody(rep):
    lead = web_lead(rep)
    route_lead(lead=lead, by=None, trigger="again")  # no rule: stays with rep
    assert Notification.objects.count() == 0


def test_a_captured_lead_tells_its_owner_not_the_unit_default_that_held_it(
    org, rep, manager
):
    """A capture form's lead is created with its unit's default owner, then routed:
    new to its owner, never "routed away" from the default owner."""
    org.north.default_owner = manager
    org.north.save()
    form = factories.CaptureFormFactory(business_unit=org.north)
    to_user_rule(rep, conditions=[])
    lead = capture_lead(form=form, data={"last_name": "Hopper", "email": "g@navy.mil"})
    [note] = told(rep)
    assert note.text == f"{lead.lead} was routed to you (capture form)."
    assert note.actor is None
    assert told(manager) == []


# --- first-response deadlines on a controlled clock -----------------------------------


def test_the_owner_is_warned_before_a_reroute_and_the_manager_told_when_it_fires(
    rep, manager, north_team, org
):
    factories.RoutingRuleFactory(
        name="North web",
        conditions=WEB,
        target_user=None,
        target_team=north_team,
        business_unit=org.north,
        reroute_after_hours=4,
    )
    lead = web_lead(manager)
    first = route_lead(lead=lead, by=manager)
    owner = first.assigned_user
    start = first.created_at
    [assigned] = told(owner)
    assert assigned.kind == Kind.LEAD_ASSIGNED

    # Two hours before the deadline: nothing yet; within the last hour: a warning.
    send_reminders(now=start + 2 * H)
    assert told(owner, Kind.RESPONSE_DEADLINE) == []
    send_reminders(now=start + 3 * H + 10 * M)
    [warning] = told(owner, Kind.RESPONSE_DEADLINE)
    deadline = timezone.localtime(start + 4 * H)
    by = date_format(deadline, "TIME_FORMAT")
    # A deadline after midnight (the test run's own clock) names its day too.
    if deadline.date() != timezone.localtime(start + 3 * H + 10 * M).date():
        by += f" on {date_format(deadline, 'DATE_FORMAT')}"
    assert warning.text == (
        f"Contact {lead} by {by}, or it is re-routed "
        "(rule “North web”: 4 h to respond)."
    )
    assert warning.actor is None and warning.target_id == lead.pk
    # Later runs do not warn again.
    send_reminders(now=start + 3 * H + 25 * M)
    send_reminders(now=start + 3 * H + 40 * M)
    assert len(told(owner, Kind.RESPONSE_DEADLINE)) == 1

    [entry] = reroute_overdue_leads(now=start + 4 * H + M).rerouted
    other = entry.assigned_user
    assert other != owner
    [away] = told(owner, Kind.LEAD_REASSIGNED)
    assert (
        away.text
        == f"{lead} was re-routed to {other}: it was not contacted within 4 h."
    )
    assert away.actor is None
    [theirs] = told(other, Kind.LEAD_ASSIGNED)
    assert theirs.text == (
        f"{lead} was re-routed to you: its owner did not contact it within 4 h."
    )
    [missed] = told(manager, Kind.RESPONSE_DEADLINE)
    assert missed.text == (
        f"{lead} was not contacted within 4 h (rule “North web”) and was re-routed "
        f"to {other}."
    )
    # The new owner's clock starts again: their warning comes before their deadline.
    send_reminders(now=start + 7 * H + 10 * M)
    assert len(told(other, Kind.RESPONSE_DEADLINE)) == 1


def test_a_contacted_lead_gets_no_warning(rep, manager):
    to_user_rule(rep, reroute_after_hours=2)
    lead = web_lead(manager)
    start = route_lead(lead=lead, by=manager).created_at
    lifecycle.mark_contacted(lead=lead, by=rep)
    send_reminders(now=start + 90 * M)
    assert told(rep, Kind.RESPONSE_DEADLINE) == []


# --- activities due today or overdue on a controlled clock ----------------------------


@pytest.fixture
def new_york(settings):
    settings.TIME_ZONE = "America/New_York"
    return zoneinfo.ZoneInfo("America/New_York")


def at(zone, day, hour, minute=0):
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=zone)


def test_activities_due_today_and_overdue_are_reminded_once_a_day(rep, new_york):
    lead = web_lead(rep)

    def activity(subject, due, **kwargs):
        return factories.ActivityFactory(
            lead=lead, owner=rep, subject=subject, due_at=due, **kwargs
        )

    activity("Call back", at(new_york, 10, 15))
    activity("Send quote", at(new_york, 9, 10))
    activity("Long forgotten", at(new_york, 2, 10))  # more than 7 days ago
    activity("Tomorrow", at(new_york, 11, 9))
    activity("Done", at(new_york, 10, 11), completed=True)
    activity("Dropped", at(new_york, 10, 11), state=ActivityState.CANCELED)
    ghost = factories.UserFactory(is_active=False)
    factories.ActivityFactory(lead=lead, owner=ghost, due_at=at(new_york, 10, 12))
    meeting = factories.ActivityFactory(
        lead=lead,
        owner=rep,
        kind=ActivityKind.APPOINTMENT,
        subject="Site visit",
        start_at=at(new_york, 10, 16, 30),
    )

    # Before the day starts (7:00 in TIME_ZONE): nothing.
    send_reminders(now=at(new_york, 10, 6, 59))
    assert told(rep) == []
    send_reminders(now=at(new_york, 10, 7))
    texts = {note.text for note in told(rep, Kind.ACTIVITY_DUE)}
    assert texts == {
        f"Phone call “Call back” for {lead} is due today at 3:00 PM.",
        f"Phone call “Send quote” for {lead} is overdue: it was due Mar 9, 2026, "
        "10:00 AM.",
        f"Appointment “Site visit” for {lead} is due today at 4:30 PM.",
    }
    assert all(note.target_id == lead.pk for note in told(rep))
    # Every 15 minutes the job runs again: nothing twice the same day.
    send_reminders(now=at(new_york, 10, 7, 15))
    send_reminders(now=at(new_york, 10, 16))
    assert len(told(rep)) == 3

    # The next day: each activity still open is overdue, and said so once more.
    cancel_activity(activity=meeting, by=rep)
    send_reminders(now=at(new_york, 11, 7, 5))
    newest = told(rep, Kind.ACTIVITY_DUE)[3:]
    assert {note.text for note in newest} == {
        f"Phone call “Call back” for {lead} is overdue: it was due Mar 10, 2026, "
        "3:00 PM.",
        f"Phone call “Send quote” for {lead} is overdue: it was due Mar 9, 2026, "
        "10:00 AM.",
        f"Phone call “Tomorrow” for {lead} is due today at 9:00 AM.",
    }


def test_two_reminder_runs_at_once_tell_an_activity_once(rep):
    """The unique key holds even when a run did not see the other's rows."""
    lead = web_lead(rep)
    now = timezone.now().replace(hour=12)
    factories.ActivityFactory(lead=lead, owner=rep, due_at=now - H)
    send_reminders(now=now)
    Notification.objects.update(
        created_at=now - 13 * H
    )  # hidden from the run's look-up
    send_reminders(now=now)
    assert len(told(rep, Kind.ACTIVITY_DUE)) == 1


# --- imports and webhooks -------------------------------------------------------------

CSV = (
    b"Topic,First Name,Last Name,Email,Company Name,Lead Source\n"
    b"Fleet of 12 vans,Ada,Lovelace,ada@analytical.example,Analytical Engines,Web\n"
    b"Warehouse racks,Alan,Turing,alan@bletchley.example,Bletchley Park,Seminar\n"
)


def _import(by, content, name="trade-show.csv"):
    batch = import_services.create_import_batch(
        upload=SimpleUploadedFile(name, content, content_type="text/csv"), by=by
    )
    return import_services.check_import_file(batch_id=batch.pk)


def test_an_import_finished_or_refused_tells_whoever_uploaded_it(manager, settings):
    batch = _import(manager, CSV)
    import_services.start_import(batch=batch, by=manager)
    import_services.process_import(batch_id=batch.pk)
    [done] = told(manager, Kind.IMPORT_DONE)
    assert done.text == (
        "Your import “trade-show.csv” finished: 2 created, 0 updated, 0 skipped, "
        "0 failed."
    )
    assert (done.target_type, done.target_id, done.actor) == (
        "leads.importbatch",
        batch.pk,
        None,
    )

    settings.LEADSITE_IMPORT_MAX_COLUMNS = 3
    refused = _import(manager, CSV, name="too-wide.csv")
    [_, failed] = told(manager, Kind.IMPORT_DONE)
    assert failed.text.startswith("Your import “too-wide.csv” was refused: ")
    assert refused.refusal in failed.text


def _failing_delivery(owner, rep):
    subscription = create_subscription(
        by=owner, url="https://hooks.example.com/in", events=["lead.updated"]
    )
    lifecycle.update_lead(lead=web_lead(rep), by=rep, subject="Changed")
    fan_out_events()
    return subscription


def test_a_webhook_paused_after_a_day_of_failures_tells_its_owner(
    manager, rep, mailoutbox
):
    subscription = _failing_delivery(manager, rep)
    now = timezone.now()
    type(subscription).objects.filter(pk=subscription.pk).update(
        failing_since=now - 25 * H
    )
    claim = claim_next_delivery(now=now)
    recorded = record_attempt(
        claim=claim, sent=Sent(ok=False, status_code=500, duration_ms=3), now=now
    )
    assert recorded.paused
    subscription.refresh_from_db()
    assert subscription.pause_reason == PauseReason.FAILING
    [note] = told(manager)
    assert note.kind == Kind.WEBHOOK_PAUSED and note.actor is None
    assert note.text == (
        f"Your webhook {subscription} was paused after a day of failed deliveries; "
        "its events are kept until it is resumed."
    )
    assert (note.target_type, note.target_id) == (
        "webhooks.subscription",
        subscription.pk,
    )


def test_a_webhook_paused_by_someone_else_tells_its_owner_not_by_its_owner(
    manager, administrator
):
    mine = create_subscription(
        by=manager, url="https://hooks.example.com/a", events=["lead.updated"]
    )
    pause_subscription(subscription=mine, by=manager)
    assert told(manager) == []
    theirs = create_subscription(
        by=manager, url="https://hooks.example.com/b", events=["lead.updated"]
    )
    pause_subscription(subscription=theirs, by=administrator)
    [note] = told(manager)
    assert note.actor == administrator and note.target_id == theirs.pk
    assert note.text == (
        f"Your webhook {theirs} was paused; its events are kept until it is resumed."
    )
