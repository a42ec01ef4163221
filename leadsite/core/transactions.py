"""Transient database failures: a deadlock, a serialization failure, a lock or
statement timeout. They are nobody's fault and leave nothing half-saved (the
transaction rolled back), so a write service retries them (`retry_transient`) and
whatever still fails becomes a "try again" page (leadsite.core.middleware), never a 500.
"""

import functools
import time
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DatabaseError, connection, transaction

from leadsite.core.deferred import deferring_unit

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


def transaction_memo() -> dict | None:
    """A dict that lives as long as the current outermost transaction (None
    outside one): for values a transaction may read once and reuse, such as
    "is there any webhook subscription at all". Whoever changes such a value in
    this process forgets its key (the memo then reads it again)."""
    if not connection.in_atomic_block or not connection.atomic_blocks:
        return None
    outermost = connection.atomic_blocks[0]
    memo = getattr(outermost, "leadsite_memo", None)
    if memo is None:
        memo = outermost.leadsite_memo = {}
    return memo


def forget_in_transaction(key) -> None:
    """Drop `key` from the current transaction's memo (see transaction_memo)."""
    memo = transaction_memo()
    if memo is not None:
        memo.pop(key, None)


# Whether the caller's savepoint covers the steps run now (see covered_step).
_covered: ContextVar[bool] = ContextVar("savepoint_covered", default=False)


@contextmanager
def one_savepoint():
    """A savepoint for one unit of a batch (one lead of a mass update): the
    services decorated with covered_step that run inside it share it instead of
    taking one each (a savepoint and its release are two round trips). A failure
    in any of them rolls the whole unit back to this savepoint, as before."""
    token = _covered.set(True)
    try:
        # What the unit defers (leadsite.core.deferred) joins its chunk's work
        # only when the savepoint is released.
        with deferring_unit(), transaction.atomic():
            yield
    finally:
        _covered.reset(token)


def covered_step(func):
    """transaction.atomic for a write service, except inside one_savepoint(): there
    it joins the unit's savepoint (atomic(savepoint=False)), so its failure goes
    up to that savepoint, which the batch catches."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with transaction.atomic(savepoint=not _covered.get()):
            return func(*args, **kwargs)

    return wrapper
