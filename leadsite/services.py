"""The one write path: every public service function is marked with ``@service``.

The marker records, for the current thread or task, that a write is running inside a
service (and which one). Code that must only ever be reached through a service (the
write-path guard, the change history's "through what") reads it with
``current_service()``. Nested services keep the outermost name.
"""

import contextvars
import functools

_current_service: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "leadsite_current_service", default=None
)


def service(func):
    """Mark ``func`` as a write service; put it above ``@transaction.atomic``."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if _current_service.get() is not None:
            return func(*args, **kwargs)
        token = _current_service.set(f"{func.__module__}.{func.__qualname__}")
        try:
            return func(*args, **kwargs)
        finally:
            _current_service.reset(token)

    return wrapper


def current_service() -> str | None:
    """The outermost service running now, or None outside any service."""
    return _current_service.get()
