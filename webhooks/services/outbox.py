"""The outbox: events written with the change they announce, then fanned out into
deliveries by the worker."""

import json
from collections import defaultdict

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from leadsite.core.services import service
from leadsite.core.transactions import transaction_memo
from webhooks.models import Delivery, Event, Subscription, new_message_id
from webhooks.permissions import may_use_webhooks
from webhooks.representations import object_type, represent, visible_ids
from webhooks.sql import insert_event

# The delivery pass's task (webhooks.tasks.deliver_webhooks), by name: the outbox
# statement asks whether one is queued (this layer does not import the tasks).
PASS_TASK_PATH = "webhooks.tasks.deliver_webhooks"
# Events fanned out per transaction of the worker.
FAN_OUT_BATCH = 200


def event_body(event_type: str, data: dict, *, at, **extra) -> str:
    """The JSON every delivery of an event sends (and signs), Standard Webhooks'
    shape: type, timestamp, data (the record as the API shows it), then any
    extra members (e.g. lead.merged's `master`)."""
    payload = {
        "type": event_type,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "data": data,
        **extra,
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"))


SUBSCRIPTIONS_KEY = "webhooks.any_subscription"


def any_subscription() -> bool:
    """Whether any subscription exists, read once per transaction (a mass update
    emits thousands of events in one): saving or deleting a subscription in this
    process forgets the answer (webhooks.apps); one committed by another process
    meanwhile counts from that transaction's next one."""
    memo = transaction_memo()
    if memo is None:
        return Subscription.objects.exists()
    if SUBSCRIPTIONS_KEY not in memo:
        memo[SUBSCRIPTIONS_KEY] = Subscription.objects.exists()
    return memo[SUBSCRIPTIONS_KEY]


def record_event(event_type: str, instance, **extra) -> tuple[int, bool] | None:
    """The sink of leadsite.core.events: one outbox row in the caller's
    transaction (a service's), holding the record's representation as it is now,
    written by one statement (webhooks.sql.insert_event). Returns (event id,
    whether a delivery pass is already queued), or None when nothing was written.

    Writes nothing while there is no subscription at all (nobody could receive
    it); otherwise every event is kept, and the fan-out decides who hears of it. Runs inside the emitting
    service, so it is not a service itself."""
    if not any_subscription():
        return None
    now = timezone.now()
    return insert_event(
        values={
            "message_id": new_message_id(),
            "type": event_type,
            "object_type": object_type(instance),
            "object_id": instance.pk,
            "body": event_body(event_type, represent(instance), at=now, **extra),
            "created_at": now,
        },
        pass_task_path=PASS_TASK_PATH,
    )


def relaxed_commit() -> None:
    """The worker's bookkeeping (fan-out, claims, attempts) commits without waiting
    for the disk (PostgreSQL's synchronous_commit off, for this transaction only).
    A database crash may then forget its last moments, which at worst fans out or
    sends a delivery again: at least once still holds, since the events themselves
    are committed, normally, by the changes that emit them. Measured here: a commit waiting for the disk took
    about 9 ms, most of an attempt's own cost."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def may_receive(owner) -> bool:
    """Whether a subscription's owner may still receive events (active, and an
    administrator or a manager)."""
    return owner.is_active and may_use_webhooks(owner)


@service
@transaction.atomic
def fan_out_events(*, limit: int = FAN_OUT_BATCH) -> int:
    """Turn up to `limit` undispatched events (oldest first) into deliveries: one per
    subscription that names the event's type and whose owner may see the record now
    (accounts.permissions through webhooks.representations: one query per
    subscription and kind of record). Paused subscriptions get theirs too, sent when
    they resume. Returns how many events were dispatched.

    The events are locked with SKIP LOCKED (PostgreSQL), so concurrent workers fan
    out different events; a worker that dies rolls its batch back for the next."""
    events = list(
        Event.objects.select_for_update(skip_locked=True)
        .filter(dispatched_at__isnull=True)
        .order_by("id")[:limit]
    )
    if not events:
        return 0
    relaxed_commit()
    now = timezone.now()
    deliveries = []
    for subscription in Subscription.objects.select_related("owner").order_by("id"):
        if not may_receive(subscription.owner):
            continue
        wanted = [event for event in events if event.type in subscription.events]
        by_kind = defaultdict(list)
        for event in wanted:
            by_kind[event.object_type].append(event)
        for kind, kind_events in by_kind.items():
            seen = visible_ids(
                subscription.owner, kind, {event.object_id for event in kind_events}
            )
            deliveries += [
                Delivery(event=event, subscription=subscription, next_attempt_at=now)
                for event in kind_events
                if event.object_id in seen
            ]
    Delivery.objects.bulk_create(deliveries)
    Event.objects.filter(pk__in=[event.pk for event in events]).update(
        dispatched_at=now
    )
    return len(events)
