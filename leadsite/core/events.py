"""Domain events: what the services announce, for whoever listens (the webhooks and
notifications apps).

Imports no app. The services of leads, accounts and webhooks call ``emit()`` inside
their transaction, at the point the change is made; each listening app registers a
named sink at start-up (its AppConfig.ready), which runs in that same transaction
(the webhooks outbox row, the notifications), so a rolled-back change announces
nothing and a committed one is never lost. Without a sink ``emit()`` does nothing.
"""

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar

# Every event a service emits that webhook subscribers may receive, as they name them.
EVENT_TYPES = (
    "lead.created",
    "lead.updated",
    "lead.routed",
    "lead.qualified",
    "lead.disqualified",
    "lead.reactivated",
    "lead.merged",
    "opportunity.won",
    "opportunity.lost",
    "import.finished",
)
# Events for the app's own listeners only (the notifications), never sent out.
INTERNAL_EVENT_TYPES = (
    "import.refused",
    "webhook.paused",
    # A reply or a sender's email received on a record (leads.services.inbound).
    "email.received",
    # A mass update (or its undo) finished: its owner changes told once, in sum.
    "mass_update.finished",
    "mass_update.undone",
)

# The batch the events being emitted belong to (see batch()).
_batch: ContextVar[tuple[str, int] | None] = ContextVar("events_batch", default=None)

# name -> (sink, the event types it receives), in registration order.
_sinks: dict[str, tuple[Callable, frozenset[str]]] = {}


def register_sink(
    name: str, fn: Callable | None, *, events: Iterable[str] = EVENT_TYPES
) -> None:
    """Make ``fn(event_type, instance, **extra)`` receive every emitted event whose
    type is in `events` (by default the public ones), under `name`: registering a
    name again replaces its sink, None removes it."""
    if fn is None:
        _sinks.pop(name, None)
        return
    wanted = frozenset(events)
    unknown = wanted - set(EVENT_TYPES) - set(INTERNAL_EVENT_TYPES)
    if unknown:
        raise ValueError(f"Unknown event type(s) {sorted(unknown)!r}.")
    _sinks[name] = (fn, wanted)


def emit(event_type: str, instance, **extra) -> None:
    """Announce that `instance` just went through `event_type`; call it inside the
    service's transaction, after the row is saved. `extra`: a few JSON values the
    event carries beside the record (ids, not records)."""
    if event_type not in EVENT_TYPES and event_type not in INTERNAL_EVENT_TYPES:
        raise ValueError(f"Unknown event type {event_type!r}.")
    for fn, wanted in list(_sinks.values()):
        if event_type in wanted:
            fn(event_type, instance, **extra)


@contextmanager
def batch(kind: str, pk: int):
    """Mark the events emitted within as parts of one batch (a mass update's
    chunk): every event still goes out, but a listener that tells people may tell
    them once for the batch (the batch's own event, e.g. mass_update.finished)
    instead of once per record."""
    token = _batch.set((kind, pk))
    try:
        yield
    finally:
        _batch.reset(token)


def current_batch() -> tuple[str, int] | None:
    """(kind, id) of the batch being emitted, or None (see batch())."""
    return _batch.get()
