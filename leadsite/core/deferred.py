"""Work a batch does once per chunk instead of once per record.

A mass update changes a hundred leads a transaction, each lead in a savepoint of its
own (leadsite.core.transactions.one_savepoint). Some of what a single save does
costs a statement per record but needs nothing from the rows saved after it: the
history row of the save, the lead's rescoring. Inside ``deferring()`` those steps
are handed to ``defer()`` and done together at the end of the block, still inside
the chunk's transaction: the history rows in one INSERT, the scores in one read and
one write. A unit (one lead) that fails rolls back to its savepoint, and what it
deferred is dropped with it, so the chunk writes exactly what the saves that
stayed would have written one by one.

Outside ``deferring()`` (every single edit, form, API call, import), ``defer()``
returns False and the caller does the work at once, as always.
"""

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

# The open chunk's work: flush function -> items, in the order deferred.
_chunk: ContextVar[dict | None] = ContextVar("deferred_chunk", default=None)
# The unit (savepoint) being run in the chunk: what it deferred so far.
_unit: ContextVar[dict | None] = ContextVar("deferred_unit", default=None)


def defer(flush: Callable[[list], None], item) -> bool:
    """Hand `item` to `flush` (called once with every item of the chunk, at its
    end); False when no chunk is open, and the caller does the work itself."""
    work = _unit.get()
    if work is None:
        work = _chunk.get()
    if work is None:
        return False
    work.setdefault(flush, []).append(item)
    return True


def deferring_now() -> bool:
    """Whether a chunk is open (defer() would take work)."""
    return _chunk.get() is not None


@contextmanager
def deferring():
    """Open a chunk: the work deferred within is flushed at the end of the block
    when it ends without an error (and dropped with it otherwise)."""
    work: dict = {}
    token = _chunk.set(work)
    try:
        yield
    finally:
        _chunk.reset(token)
    for flush, items in work.items():
        flush(items)


@contextmanager
def deferring_unit():
    """One unit of a chunk (one_savepoint uses it): its deferred work joins the
    chunk's only when the unit succeeds. Without an open chunk it does nothing."""
    chunk = _chunk.get()
    if chunk is None:
        yield
        return
    work: dict = {}
    token = _unit.set(work)
    try:
        yield
    finally:
        _unit.reset(token)
    for flush, items in work.items():
        chunk.setdefault(flush, []).extend(items)
