"""The outbox's one hand-written statement (README, "Hand-written SQL").

An event is written on every emitting write (while any subscription exists), so
its row and the question its wake-up depends on share one round trip: the INSERT
says, in the same statement, whether a delivery pass is already waiting in the task
queue (then this event needs no wake-up of its own). The ORM has no RETURNING of a
subquery: as two statements it took two round trips.
"""

from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from webhooks.models import Event

EVENT_COLUMNS = ["message_id", "type", "object_type", "object_id", "body", "created_at"]


def _field(model, name):
    return model._meta.get_field(name)


def insert_event(*, values: dict, pass_task_path: str) -> tuple[int, bool]:
    """Insert one outbox row (`values`: EVENT_COLUMNS) in the caller's transaction.
    Returns (event id, whether a pass of `pass_task_path` is queued and not
    started: django-tasks-db's "ready" rows, written out here as its `ready()`
    queryset says, since compiling that queryset cost more than the statement).

    The pass check runs inside the INSERT's statement, after the row's lock on the
    table is taken, so a pass it finds has not read the outbox yet; a pass waits at
    its start for such writers to commit (outbox_barrier)."""
    quote = connection.ops.quote_name
    fields = [_field(Event, name) for name in EVENT_COLUMNS]
    tasks = quote(DBTaskResult._meta.db_table)
    status, path, run_after = (
        quote(_field(DBTaskResult, name).column)
        for name in ("status", "task_path", "run_after")
    )
    sql = (
        f"INSERT INTO {quote(Event._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"RETURNING {quote('id')}, EXISTS (SELECT 1 FROM {tasks} WHERE "
        f"{status} = %s AND {path} = %s AND ({run_after} = %s OR {run_after} <= %s))"
    )
    run_after_field = _field(DBTaskResult, "run_after")
    params = [
        *(field.get_db_prep_save(values[field.name], connection) for field in fields),
        TaskResultStatus.READY,
        pass_task_path,
        run_after_field.get_db_prep_save(get_date_max(), connection),
        run_after_field.get_db_prep_save(timezone.now(), connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
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
