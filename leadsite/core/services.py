"""The one write path: every public service function is marked with ``@service``.

The marker records, for the current thread or task, that a write is running inside a
service (and which one). Code that must only ever be reached through a service (the
write-path guard, the change history's "through what") reads it with
``current_service()``. Nested services keep the outermost name.
"""

import contextlib
import contextvars
import functools

from django.db import IntegrityError

from leadsite.core.validation import refusal_for

_current_service: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "leadsite_current_service", default=None
)
# Who runs the outermost service (its `by=`), for the change history.
_current_actor: contextvars.ContextVar = contextvars.ContextVar(
    "leadsite_current_actor", default=None
)
# Through what the write came (form, admin, bulk, import, routing, ...), when a
# caller said so with ``through()``.
_current_channel: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "leadsite_current_channel", default=None
)


def service(func):
    """Mark ``func`` as a write service; put it above ``@transaction.atomic``.

    The outermost service turns the database's refusal of one of our constraints
    (an IntegrityError, after its transaction rolled back) into the constraint's
    message for the user (refusal_for); any other IntegrityError stays an error."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if _current_service.get() is not None:
            return func(*args, **kwargs)
        token = _current_service.set(f"{func.__module__}.{func.__qualname__}")
        actor = _current_actor.set(kwargs.get("by"))
        try:
            return func(*args, **kwargs)
        except IntegrityError as error:
            refusal = refusal_for(error)
            if refusal is None:
                raise
            raise refusal from error
        finally:
            _current_actor.reset(actor)
            _current_service.reset(token)

    return wrapper


def current_service() -> str | None:
    """The outermost service running now, or None outside any service."""
    return _current_service.get()


def current_actor():
    """The `by=` user of the outermost service running now (None: none or automatic)."""
    return _current_actor.get()


@contextlib.contextmanager
def through(channel: str):
    """Mark the writes in this block as coming through `channel` ("admin", "bulk",
    "import", "routing", ...) for the change history. The outermost one wins."""
    if _current_channel.get() is not None:
        yield
        return
    token = _current_channel.set(channel)
    try:
        yield
    finally:
        _current_channel.reset(token)


def current_channel() -> str | None:
    """The channel set by the outermost ``through()``, or None."""
    return _current_channel.get()


@contextlib.contextmanager
def service_context(name: str):
    """Run a block as if inside the service ``name``.

    For the few writers that are not services but are allowed to write rows
    directly: test factories and the demo-data loader. Product code calls services.
    """
    token = _current_service.set(name)
    try:
        yield
    finally:
        _current_service.reset(token)


class WriteOutsideService(RuntimeError):
    """A guarded row was saved or deleted outside any ``@service``."""


# The models whose rows only services may write (the write-path guard).
GUARDED_MODELS = (
    "leads.Lead",
    "leads.Activity",
    "leads.Note",
    "leads.Attachment",
    "leads.LeadAccount",
    "leads.LeadContact",
    "leads.LeadProduct",
    "leads.RoutingRule",
    "leads.LeadAssignment",
    "leads.ImportBatch",
    "leads.ExportJob",
    "leads.CaptureForm",
    "accounts.Account",
    "accounts.Contact",
    "accounts.Opportunity",
    "accounts.OpportunityProduct",
    "accounts.ApiToken",
    "accounts.IdempotencyKey",
    "accounts.StageStep",
    "accounts.StepCheck",
    "accounts.StageVisit",
    "webhooks.Subscription",
    "webhooks.Event",
    "webhooks.Delivery",
    "webhooks.Attempt",
)


def refuse_write_outside_service(sender, instance, **kwargs):
    """pre_save/pre_delete receiver: raise unless a service is running."""
    if current_service() is None:
        raise WriteOutsideService(
            f"{sender._meta.label} row written outside a service; "
            "call the service in leads/services or accounts/services."
        )


def install_write_guard() -> list:
    """Connect the guard to every guarded model; returns the disconnect callables."""
    from django.apps import apps
    from django.db.models.signals import pre_delete, pre_save

    undo = []
    for label in GUARDED_MODELS:
        model = apps.get_model(label)
        for signal in (pre_save, pre_delete):
            uid = f"write-guard-{label}-{signal is pre_save}"
            signal.connect(refuse_write_outside_service, sender=model, dispatch_uid=uid)
            undo.append(
                functools.partial(signal.disconnect, sender=model, dispatch_uid=uid)
            )
    return undo
