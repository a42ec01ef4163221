"""The notifications' background work and the events sink.

Tasks (django-tasks, run by `manage.py db_worker`): `send_notification_emails`, woken
when a notification to email at once is written; `send_reminders` (every 15
minutes, settings.LEADSITE_SCHEDULES) and `send_digest` (daily at 07:00). The
reminders run also sends what waits to go at once, so a lost wake-up waits at most
one run.
"""

import functools

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from notifications.services import events
from notifications.services.email import send_digests, send_pending_emails
from notifications.services.reminders import send_reminders as write_reminders


@task()
def send_notification_emails() -> dict:
    """Email the notifications marked to go at once (one message per user)."""
    return {"emails": send_pending_emails()}


@task()
def send_reminders() -> dict:
    """Write the reminders due now (activities due today or overdue, deadlines
    coming up), then email what is to go at once."""
    result = write_reminders(now=timezone.now())
    return {
        "activities": result.activities,
        "deadlines": result.deadlines,
        "emails": send_pending_emails(),
    }


@task()
def send_digest() -> dict:
    """The daily digest email (one message per user with notifications kept for
    it)."""
    return {"emails": send_digests()}


class _WakeAfterCommit:
    """The one mailer wake-up a transaction queues, run once it commits (task
    backends other than the database's, which cannot join the transaction)."""

    def __init__(self):
        self.done = False

    def __call__(self):
        self.done = True
        send_notification_emails.enqueue()


def wake_mailer() -> None:
    """Queue the mailer for what the current transaction wrote: with the database
    queue a task row in this transaction, unless one is queued and not started
    (it will see these rows); other backends once, after commit."""
    if isinstance(send_notification_emails.get_backend(), DatabaseBackend):
        queued = DBTaskResult.objects.ready().filter(
            task_path=send_notification_emails.module_path
        )
        if not queued.exists():
            send_notification_emails.enqueue()
        return
    waiting = transaction.get_connection().run_on_commit
    if not any(
        isinstance(entry[1], _WakeAfterCommit) and not entry[1].done
        for entry in waiting
    ):
        transaction.on_commit(_WakeAfterCommit(), robust=True)


# What each heard event tells (notifications.apps.HEARD).
HANDLERS = {
    "lead.routed": events.lead_routed,
    "import.finished": events.import_done,
    "import.refused": events.import_done,
    "webhook.paused": events.webhook_paused,
    "email.received": events.email_received,
    "mass_update.finished": events.mass_update_owners,
    "mass_update.undone": functools.partial(events.mass_update_owners, undone=True),
}


def on_event(event_type: str, instance, **extra) -> None:
    """The events sink (registered by NotificationsConfig.ready): the notifications
    an event tells, written in the emitting transaction; the mailer woken when
    one is to be emailed at once."""
    if HANDLERS[event_type](instance, **extra):
        wake_mailer()
