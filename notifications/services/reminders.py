"""The periodic reminders (notifications.tasks.send_reminders, every 15 minutes):
activities due today or overdue, and first-response deadlines coming up. Each is
told once (a key per activity and day, per deadline): a run repeated, or two runs
at once, tell nothing twice (the unique constraint notifications_reminder_once)."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from leads.models import Activity, ActivityState, LeadAssignment
from leads.services.routing import overdue_leads
from leadsite.core.services import service
from notifications.models import Kind, Notification
from notifications.services.delivery import Message, message_text, notify

# The day's activity reminders start at this local time (TIME_ZONE), not at
# midnight: the first run after it tells of the day's activities.
DAY_STARTS = datetime.time(7, 0)
# An overdue activity is reminded of each day for this many days, then no more.
OVERDUE_DAYS = 7


@dataclass
class RemindersResult:
    activities: int = 0
    deadlines: int = 0
    emails: int = 0


def _local_day(now):
    """(today, its first moment, the next day's first moment), in TIME_ZONE."""
    zone = timezone.get_default_timezone()
    today = timezone.localtime(now, zone).date()
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return today, start, end


def activity_reminders(*, now: datetime.datetime) -> list[Message]:
    """For each open activity of an active owner due (else starting) today, or
    overdue for at most OVERDUE_DAYS days, not reminded of today yet: one message
    to its owner, from DAY_STARTS on. Links the record it regards."""
    zone = timezone.get_default_timezone()
    if timezone.localtime(now, zone).time() < DAY_STARTS:
        return []
    today, start, end = _local_day(now)
    oldest = start - datetime.timedelta(days=OVERDUE_DAYS)
    activities = (
        Activity.objects.filter(state=ActivityState.OPEN, owner__is_active=True)
        .filter(
            Q(due_at__gte=oldest, due_at__lt=end)
            | Q(due_at__isnull=True, start_at__gte=oldest, start_at__lt=end)
        )
        .select_related("lead", "account", "contact", "opportunity")
        .order_by("pk")
    )
    told = set(
        Notification.objects.filter(
            kind=Kind.ACTIVITY_DUE, created_at__gte=start, key__startswith="activity:"
        ).values_list("key", flat=True)
    )
    messages = []
    for activity in activities:
        key = f"activity:{activity.pk}:{today.isoformat()}"
        if key in told:
            continue
        due = activity.due_at or activity.start_at
        record = activity.regarding
        text = message_text(
            "activity_due",
            activity=activity,
            due=due,
            due_day=timezone.localtime(due, zone).date(),
            today=today,
            overdue=due < now,
            record=record,
        )
        messages.append(
            Message(
                user_id=activity.owner_id,
                kind=Kind.ACTIVITY_DUE,
                text=text,
                target=record,
                key=key,
            )
        )
    return messages


def deadline_warnings(*, now: datetime.datetime) -> list[Message]:
    """For each lead a rule re-routes if nobody contacts it (leads.services.routing
    .overdue_leads) whose deadline falls within the next
    LEADSITE_NOTIFICATIONS_DEADLINE_WARNING_MINUTES: one warning to its owner, once
    per assignment (the routing that started the clock)."""
    ahead = datetime.timedelta(
        minutes=settings.LEADSITE_NOTIFICATIONS_DEADLINE_WARNING_MINUTES
    )
    overdue_now = {(lead.pk, rule.pk) for lead, rule in overdue_leads(now=now)}
    soon = [
        (lead, rule)
        for lead, rule in overdue_leads(now=now + ahead)
        if (lead.pk, rule.pk) not in overdue_now and lead.owner_user_id
    ]
    if not soon:
        return []
    started = LeadAssignment.objects.in_bulk([lead.last_assignment for lead, _ in soon])
    zone = timezone.get_default_timezone()
    today = timezone.localtime(now, zone).date()
    messages = []
    for lead, rule in soon:
        assignment = started[lead.last_assignment]
        deadline = assignment.created_at + datetime.timedelta(
            hours=rule.reroute_after_hours
        )
        text = message_text(
            "response_warning",
            lead=lead,
            rule=rule,
            deadline=deadline,
            deadline_day=timezone.localtime(deadline, zone).date(),
            today=today,
        )
        messages.append(
            Message(
                user_id=lead.owner_user_id,
                kind=Kind.RESPONSE_DEADLINE,
                text=text,
                target=lead,
                key=f"response:{assignment.pk}",
            )
        )
    return messages


@service
@transaction.atomic
def send_reminders(*, now: datetime.datetime | None = None) -> RemindersResult:
    """Write the reminders due at `now` (activity_reminders, deadline_warnings) in
    one transaction; returns how many of each were written and how many wait to
    be emailed at once (the task sends those after)."""
    now = now or timezone.now()
    activities = activity_reminders(now=now)
    deadlines = deadline_warnings(now=now)
    emails = notify([*activities, *deadlines], now=now)
    return RemindersResult(
        activities=len(activities), deadlines=len(deadlines), emails=emails
    )
