"""The webhook worker: one task, `deliver_webhooks`, that fans out new events and
sends due deliveries until none is due, and `wake()`, which queues it.

Nothing depends on the queue alone: the events and deliveries waiting are rows
(the outbox's undispatched events, the pending deliveries by due time), and every
pass takes whatever is waiting, whoever queued it. So a change's commit followed by
a crash before its wake-up loses nothing: the next pass (the next event's, a retry's
or `manage.py deliver_webhooks` from cron) sends it.

With django-tasks-db the queue is a table in the same database: a wake-up queued in
a transaction commits or rolls back with it. Retries are queued with `run_after` at
their due time; while a pass holds a delivery it also queues a pass for when that
hold runs out, so a worker killed mid-request is taken over by another.
"""

import contextvars
import datetime
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from webhooks import sending
from webhooks.services.delivery import claim_next_delivery, record_attempt
from webhooks.services.outbox import fan_out_events, record_event
from webhooks.sql import outbox_barrier

# One pass sends for at most this long, then queues the next pass.
PASS_SECONDS = 60

_in_pass: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "webhooks_in_pass", default=False
)


@dataclass
class PassResult:
    dispatched: int = 0
    sent: int = 0
    delivered: int = 0


@task()
def deliver_webhooks() -> dict:
    """Fan out new events and send every due delivery (see run_pass)."""
    result = run_pass()
    return {
        "dispatched": result.dispatched,
        "sent": result.sent,
        "delivered": result.delivered,
    }


def run_pass(*, seconds: float = PASS_SECONDS) -> PassResult:
    """Fan out every undispatched event, then claim, send and record due deliveries
    one at a time until none is due or `seconds` have passed (then the next pass is
    queued). Each claim and each record is its own transaction; the request goes
    out between them, outside any transaction."""
    token = _in_pass.set(True)
    try:
        return _run_pass(deadline=time.monotonic() + seconds)
    finally:
        _in_pass.reset(token)


def _run_pass(*, deadline: float) -> PassResult:
    result = PassResult()
    # Writers that found this pass queued did not queue another: wait for them.
    with transaction.atomic():
        outbox_barrier()
    while time.monotonic() < deadline:
        count = fan_out_events()
        if not count:
            break
        result.dispatched += count
    covered_until = None
    while time.monotonic() < deadline:
        with transaction.atomic():
            claim = claim_next_delivery()
            if claim is None:
                return result
            if covered_until is None or claim.locked_until > covered_until:
                # Should this worker die holding deliveries, a pass runs when the
                # hold ends (one queued pass covers the holds of the next while).
                covered_until = claim.locked_until + datetime.timedelta(seconds=30)
                wake(at=covered_until)
        sent = sending.post(
            url=claim.url,
            body=claim.body,
            message_id=claim.message_id,
            secrets=claim.secrets,
            timeout=settings.LEADSITE_WEBHOOKS_TIMEOUT,
            allow_private=settings.LEADSITE_WEBHOOKS_ALLOW_PRIVATE,
            now=timezone.now(),
        )
        with transaction.atomic():
            recorded = record_attempt(claim=claim, sent=sent)
            if recorded.retry_at is not None:
                wake(at=recorded.retry_at)
        result.sent += 1
        result.delivered += sent.ok
    wake()
    return result


def _queued_now() -> bool:
    """Whether a pass is already queued and not started (it will see what was
    committed before it starts)."""
    return (
        DBTaskResult.objects.ready()
        .filter(task_path=deliver_webhooks.module_path)
        .exists()
    )


def wake(*, at: datetime.datetime | None = None) -> None:
    """Queue a pass now, or at `at`.

    With the database queue the task row is written in the caller's transaction
    (committed with it); a pass already queued and not started makes a new one
    unneeded. Other backends (the tests' immediate one) get the pass after commit,
    and no deferred pass (they cannot defer; the cron sweep covers that)."""
    backend = deliver_webhooks.get_backend()
    if isinstance(backend, DatabaseBackend):
        if at is not None and at > timezone.now():
            deliver_webhooks.using(run_after=at).enqueue()
        elif not _queued_now():
            deliver_webhooks.enqueue()
        return
    if at is None and not _in_pass.get():
        transaction.on_commit(deliver_webhooks.enqueue, robust=True)


class _WakeAfterCommit:
    """The one wake-up a transaction's events queue, run once it commits (task
    backends other than the database's, which cannot join the transaction)."""

    def __init__(self):
        self.done = False

    def __call__(self):
        self.done = True
        wake()


def announce(event_type: str, instance, **extra) -> None:
    """The events sink (registered by WebhooksConfig.ready): the outbox row in the
    emitting transaction, written by one statement that also says whether a pass
    is queued and not started; only when none is does this transaction queue one
    (a task row, committed or rolled back with the change). A queued pass waits at
    its start for such writers to commit (outbox_barrier), so it sees this event:
    no round trip after the commit, and no commit without its wake-up."""
    written = record_event(event_type, instance, **extra)
    if written is None:
        return
    _, queued = written
    if isinstance(deliver_webhooks.get_backend(), DatabaseBackend):
        if not queued:
            deliver_webhooks.enqueue()
        return
    waiting = transaction.get_connection().run_on_commit
    if not any(
        isinstance(entry[1], _WakeAfterCommit) and not entry[1].done
        for entry in waiting
    ):
        transaction.on_commit(_WakeAfterCommit(), robust=True)
