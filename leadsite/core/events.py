"""Domain events: what the services announce, for whoever listens (the webhooks app).

Imports no app. The services of leads and accounts call ``emit()`` inside their
transaction, at the point the change is made; the webhooks app registers the one sink
at start-up (``WebhooksConfig.ready``), which writes the event in that same
transaction (an outbox row), so a rolled-back change announces nothing and a
committed one is never lost. Without a sink ``emit()`` does nothing.
"""

from collections.abc import Callable

# Every event a service emits, as subscribers name them.
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

_sink: Callable | None = None


def register_sink(fn: Callable | None) -> None:
    """Make ``fn(event_type, instance, **extra)`` receive every emitted event (None:
    no sink). One sink: registering replaces the one before."""
    global _sink
    _sink = fn


def emit(event_type: str, instance, **extra) -> None:
    """Announce that `instance` just went through `event_type`; call it inside the
    service's transaction, after the row is saved. `extra`: a few JSON values the
    event carries beside the record (ids, not records)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {event_type!r}.")
    if _sink is not None:
        _sink(event_type, instance, **extra)
