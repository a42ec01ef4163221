"""Transient database failures: a deadlock, a serialization failure, a lock or
statement timeout. They are nobody's fault and leave nothing half-saved (the
transaction rolled back), so a write service retries them (`retry_transient`) and
whatever still fails becomes a "try again" page (leadsite.core.middleware), never a 500.
"""

import functools
import time

from django.db import DatabaseError, connection

# SQLSTATE codes: deadlock_detected, serialization_failure, lock_not_available,
# query_canceled (statement_timeout).
RETRYABLE = {"40P01", "40001"}
TRANSIENT = RETRYABLE | {"55P03", "57014"}


def sqlstate(error) -> str | None:
    cause = error
    while cause is not None:
        code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if code:
            return code
        cause = cause.__cause__
    return None


def is_transient(error) -> bool:
    """A failure a later attempt may not meet (and that wrote nothing)."""
    if not isinstance(error, DatabaseError):
        return False
    if sqlstate(error) in TRANSIENT:
        return True
    # SQLite: another writer held the file past the busy timeout.
    return "database is locked" in str(error)


def retry_transient(func=None, *, attempts: int = 3):
    """Run a write service again after a deadlock or serialization failure, when
    it is the outermost transaction (inside another one the whole outer
    transaction is lost, so the error goes up)."""

    def decorate(service):
        @functools.wraps(service)
        def wrapper(*args, **kwargs):
            for attempt in range(1, attempts + 1):
                outermost = not connection.in_atomic_block
                try:
                    return service(*args, **kwargs)
                except DatabaseError as error:
                    if not (outermost and sqlstate(error) in RETRYABLE):
                        raise
                    if attempt == attempts:
                        raise
                    time.sleep(0.05 * attempt)
            raise AssertionError("unreachable")

        return wrapper

    return decorate(func) if func is not None else decorate
