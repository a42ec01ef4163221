"""The outbox's one hand-written statement (README, "Hand-written SQL").

An event is written on every emitting write (while any subscription exists), so
its row and the question its wake-up depends on share one round trip: the INSERT
says, in the same statement, whether a delivery pass is already waiting in the task
queue (then this event needs no wake-up of its own). The ORM has no RETURNING of a
subquery: as two statements it took two round trips.
"""

from django.db import connection
from django_tasks_db.models import DBTaskResult

from webhooks.models import Event

EVENT_COLUMNS = ["message_id", "type", "object_type", "object_id", "body", "created_at"]


def insert_event(*, values: dict, pass_task_path: str) -> tuple[int, bool]:
    """Insert one outbox row (`values`: EVENT_COLUMNS) in the caller's transaction.
    Returns (event id, whether a pass of `pass_task_path` is queued and not
    started).

    The pass check runs inside the INSERT's statement, after the row's lock on the
    table is taken, so a pass it finds has not read the outbox yet; a pass waits at
    its start for such writers to commit (webhooks.tasks.outbox_barrier)."""
    quote = connection.ops.quote_name
    table = quote(Event._meta.db_table)
    fields = [Event._meta.get_field(name) for name in EVENT_COLUMNS]
    params = [
        field.get_db_prep_save(values[field.name], connection) for field in fields
    ]
    waiting, waiting_params = (
        DBTaskResult.objects.ready()
        .filter(task_path=pass_task_path)
        .values("pk")[:1]
        .query.sql_with_params()
    )
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Identifiers from the models and the ORM's own compiled subquery; every value
    # is a parameter.
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        f"RETURNING {quote('id')}, EXISTS ({waiting})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *waiting_params])
        event_id, queued = cursor.fetchone()
    return event_id, bool(queued)


def outbox_barrier() -> None:
    """Wait until every transaction that has written an outbox row has committed or
    rolled back (in a transaction of its own, released at once): a pass that
    reads the outbox after this sees every event whose writer found it queued.
    PostgreSQL: a SHARE lock on the table conflicts with the writers' ROW
    EXCLUSIVE locks. SQLite: a write transaction (BEGIN IMMEDIATE) waits for the
    one writer there can be."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"LOCK TABLE {connection.ops.quote_name(Event._meta.db_table)} "
                "IN SHARE MODE"
            )
