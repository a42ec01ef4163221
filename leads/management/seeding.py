"""Fast bulk writes for seed data.

Rows are plain dicts keyed by field attname ("owner_user_id", not "owner_user")
holding values already in database form: ints (not enum members), str, Decimal,
date, aware datetime, bool or None. A Table fills every column the dict leaves
out with the field's default (auto_now columns get the seeding time), so the
column list always follows the model's concrete fields, and writes the rows with
COPY on PostgreSQL or one executemany elsewhere: no Model instances, no per-value
SQL compilation. Primary keys are reserved before writing so child rows can point
at their parents in the same batch (foreign keys are checked at commit).
"""

import enum
import operator

from django.db import connection, models

REQUIRED = object()  # marks a NOT NULL column without a default: rows must give it


def _plain(value):
    """Enum members (IntegerChoices, TextChoices) as the int or str they stand for."""
    return value.value if isinstance(value, enum.Enum) else value


def _default(field, now):
    if field.primary_key:
        return REQUIRED
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    if field.has_default():
        if callable(field.default):
            # One value for the whole table: fine for timestamps, wrong for
            # per-row tokens, which the row builders must then give themselves.
            return _plain(field.default())
        return _plain(field.default)
    if field.null or field.empty_strings_allowed:
        return field.get_default()  # None, or "" for text columns
    return REQUIRED


class Table:
    """Write rows of one model's table; columns come from _meta.concrete_fields."""

    def __init__(self, model, *, now):
        self.model = model
        meta = model._meta
        self.db_table = meta.db_table
        self.pk_column = meta.pk.column
        fields = list(meta.concrete_fields)
        self.attnames = [f.attname for f in fields]
        self.columns = [f.column for f in fields]
        defaults = {f.attname: _default(f, now) for f in fields}
        self.required = {name for name, value in defaults.items() if value is REQUIRED}
        self.defaults = {
            name: value for name, value in defaults.items() if value is not REQUIRED
        }
        self._values = operator.itemgetter(*self.attnames)
        # SQLite stores dates and datetimes as text: adapt those columns the way
        # Django does (aware datetimes become naive UTC). Other values bind as is.
        self._adapters = []
        if connection.vendor != "postgresql":
            ops = connection.ops
            for i, f in enumerate(fields):
                if isinstance(f, models.DateTimeField):
                    self._adapters.append((i, ops.adapt_datetimefield_value))
                elif isinstance(f, models.DateField):
                    self._adapters.append((i, ops.adapt_datefield_value))
        self._next_id = None

    def reserve_ids(self, count):
        """`count` fresh primary keys, ascending, for rows written later in this
        transaction."""
        if count == 0:
            return []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                    "FROM generate_series(1, %s)",
                    [self.db_table, self.pk_column, count],
                )
                return sorted(row[0] for row in cursor.fetchall())
            if self._next_id is None:
                qn = connection.ops.quote_name
                cursor.execute(
                    f"SELECT MAX({qn(self.pk_column)}) FROM {qn(self.db_table)}"
                )
                highest = cursor.fetchone()[0] or 0
                # AUTOINCREMENT never reuses ids of deleted rows: start after those.
                cursor.execute(
                    "SELECT seq FROM sqlite_sequence WHERE name = %s", [self.db_table]
                )
                seq = cursor.fetchone()
                self._next_id = max(highest, seq[0] if seq else 0) + 1
        first = self._next_id
        self._next_id += count
        return list(range(first, first + count))

    def rows(self, dicts):
        """Value tuples in column order, defaults filled in."""
        if not dicts:
            return []
        missing = self.required - dicts[0].keys()
        if missing:
            raise ValueError(f"{self.db_table}: rows lack {sorted(missing)}")
        defaults, values = self.defaults, self._values
        rows = [values({**defaults, **d}) for d in dicts]
        if self._adapters:
            adapters = self._adapters
            adapted = []
            for row in rows:
                row = list(row)
                for i, adapt in adapters:
                    if row[i] is not None:
                        row[i] = adapt(row[i])
                adapted.append(row)
            rows = adapted
        return rows

    def write(self, dicts):
        rows = self.rows(dicts)
        if not rows:
            return
        qn = connection.ops.quote_name
        columns = ", ".join(qn(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The psycopg 3 cursor under Django's wrapper.
                sql = f"COPY {qn(self.db_table)} ({columns}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {qn(self.db_table)} ({columns}) VALUES ({marks})",
                    rows,
                )
