"""Statements PostgreSQL plans for their values on every run.

psycopg prepares a statement its connection has run five times
(leadsite/settings_db.py, bind_on_server), and after five runs of a prepared
statement PostgreSQL may keep one generic plan for any values. That suits a page's
fixed queries (the lead page's own query took longer to plan than to run), not a
text search, whose best plan depends on its words: for a common one ("smith") the
walk of the date index that stops at the page, for a rare one the trigram indexes.
The generic plan of the lead list's filtered search read every trigram match of
"smith" (930 ms at ten million leads, against 41 ms planned for the word).
"""

from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def planned_for_their_values(using: str = DEFAULT_DB_ALIAS):
    """The block's statements on `using` go unprepared (psycopg's prepare_threshold
    None for its length), so PostgreSQL plans each with its values; statements
    already prepared on the connection are not used meanwhile. Elsewhere a no-op."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = previous
