"""notify()'s one-statement write, for callers that already read their recipients'
languages and time zones (the routing service reads them with the candidate
users): the notifications inserted with the recipients' choices joined in, an
INSERT ... SELECT, where notify() otherwise reads the choices first and then
inserts (two statements, each built by the ORM). Every routed lead tells its new
owner: README "Performance", "Hand-written SQL". tests/test_sql_routing.py
checks it writes the rows notify() writes the other way.
"""

from django.db import connection

from notifications.models import (
    Channel,
    Notification,
    NotificationPreference,
)

NOTIFICATIONS_TABLE = Notification._meta.db_table
PREFERENCES_TABLE = NotificationPreference._meta.db_table
# The columns written, in order (the rest are NULL, as the ORM's rows leave them).
COLUMNS = (
    "user",
    "kind",
    "text",
    "target_type",
    "target_id",
    "actor",
    "created_at",
    "key",
)
_FIELDS = [Notification._meta.get_field(name) for name in COLUMNS]


def _value_rows(count: int) -> str:
    """A SELECT of `count` rows of placeholders, the first column the row's
    position; typed on PostgreSQL (a UNION's untyped literals read as text)."""
    if connection.vendor == "postgresql":
        slots = ["CAST(%s AS integer)"] + [
            f"CAST(%s AS {field.db_type(connection)})" for field in _FIELDS
        ]
    else:
        slots = ["%s"] * (len(_FIELDS) + 1)
    qn = connection.ops.quote_name
    names = ["n", *(qn(field.column) for field in _FIELDS)]
    first = ", ".join(
        f"{slot} AS {name}" for slot, name in zip(slots, names, strict=True)
    )
    rest = ", ".join(slots)
    return " UNION ALL ".join([f"SELECT {first}"] + [f"SELECT {rest}"] * (count - 1))


def insert_wanted(rows, *, default_channel: str, email_states: dict) -> list[str]:
    """Insert the notifications `rows` (unsaved Notification instances, without a
    key) whose recipient has not turned their kind off, in the order given, each
    with the email state of the recipient's channel for its kind (the default
    channel where they chose none; `email_states`: channel -> email state).
    Returns the email states written."""
    if not rows:
        return []
    qn = connection.ops.quote_name
    params = []
    for position, row in enumerate(rows):
        params.append(position)
        params += [
            field.get_db_prep_save(getattr(row, field.attname), connection)
            for field in _FIELDS
        ]
    columns = ", ".join(qn(field.column) for field in _FIELDS)
    chosen = f"COALESCE(p.{qn('channel')}, %s)"
    states = sorted(email_states.items())
    case = " ".join("WHEN %s THEN %s" for _ in states)
    user, kind = qn(_FIELDS[0].column), qn(_FIELDS[1].column)
    sql = (
        f"INSERT INTO {NOTIFICATIONS_TABLE} ({columns}, {qn('email_state')})"  # noqa: S608
        f" SELECT {', '.join(f'm.{qn(f.column)}' for f in _FIELDS)},"
        f" CASE {chosen} {case} END"
        f" FROM ({_value_rows(len(rows))}) m"
        f" LEFT JOIN {PREFERENCES_TABLE} p"
        f" ON p.{qn('user_id')} = m.{user} AND p.{qn('kind')} = m.{kind}"
        f" WHERE {chosen} <> %s ORDER BY m.n"
        f" RETURNING {qn('email_state')}"
    )
    case_params = [default_channel]
    for channel, state in states:
        case_params += [str(channel), str(state)]
    with connection.cursor() as cursor:
        cursor.execute(sql, case_params + params + [default_channel, str(Channel.OFF)])
        return [state for (state,) in cursor.fetchall()]
