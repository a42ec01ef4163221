"""Fast bulk writes for seed data: Table (COPY / executemany), deferred_indexes and
disabled_triggers.

Rows are plain dicts keyed by field attname ("owner_user_id", not "owner_user")
holding values already in database form: ints (not enum members), str, Decimal,
date, aware datetime, bool or None. A Table fills every column the dict leaves
out with the field's default (auto_now columns get the seeding time), so the
column list always follows the model's concrete fields, and writes the rows with
COPY on PostgreSQL or one executemany elsewhere: no Model instances, no per-value
SQL compilation. Primary keys of rows that others point at are reserved before
writing, so child rows can refer to their parents in the same batch (foreign keys
are checked at commit). For a large load, deferred_indexes() builds the secondary
indexes once at the end instead of updating some thirty per lead row.
"""

import enum
import operator
from contextlib import contextmanager

from django.db import connection, models

REQUIRED = object()  # marks a NOT NULL column without a default: rows must give it


def _plain(value):
    """Enum members (IntegerChoices, TextChoices) as the int or str they stand for."""
    return value.value if isinstance(value, enum.Enum) else value


def _default(field, now):
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
    """Write rows of one model's table; columns come from _meta.concrete_fields
    (generated ones left out)."""

    def __init__(self, model, *, now):
        self.model = model
        meta = model._meta
        self.db_table = meta.db_table
        self.pk_column = meta.pk.column
        self.pk_attname = meta.pk.attname
        # Generated columns (the phones' digits) are the database's to write.
        fields = [
            f for f in meta.concrete_fields if not f.primary_key and not f.generated
        ]
        self.columns = [f.column for f in fields]
        defaults = {f.attname: _default(f, now) for f in fields}
        self.required = {name for name, value in defaults.items() if value is REQUIRED}
        self.defaults = {
            name: value for name, value in defaults.items() if value is not REQUIRED
        }
        attnames = [f.attname for f in fields]
        self._values = operator.itemgetter(*attnames)
        self._values_with_pk = operator.itemgetter(self.pk_attname, *attnames)
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
        """(columns, value tuples in column order) with defaults filled in. Rows
        that carry their reserved primary key write it; others let the database
        number them."""
        if not dicts:
            return [], []
        missing = self.required - dicts[0].keys()
        if missing:
            raise ValueError(f"{self.db_table}: rows lack {sorted(missing)}")
        columns, values, shift = self.columns, self._values, 0
        if self.pk_attname in dicts[0]:
            columns, values, shift = [self.pk_column, *columns], self._values_with_pk, 1
        defaults = self.defaults
        rows = [values({**defaults, **d}) for d in dicts]
        if self._adapters:
            adapters = [(i + shift, adapt) for i, adapt in self._adapters]
            adapted = []
            for row in rows:
                row = list(row)
                for i, adapt in adapters:
                    if row[i] is not None:
                        row[i] = adapt(row[i])
                adapted.append(row)
            rows = adapted
        return columns, rows

    def reserve_block(self, count):
        """PostgreSQL, with the table locked for this transaction (a deferred load):
        `count` consecutive primary keys taken from its sequence in one step. Rows
        built elsewhere (seeding/parallel.py) may use fewer: the rest is a gap."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), "
                "nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
                [self.db_table, self.pk_column] * 2 + [count],
            )
            last = cursor.fetchone()[0]
        return list(range(last - count + 1, last + 1))

    def write(self, dicts):
        self.write_rows(*self.rows(dicts))

    def write_rows(self, columns, rows):
        if not rows:
            return
        qn = connection.ops.quote_name
        names = ", ".join(qn(c) for c in columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The psycopg 3 cursor under Django's wrapper.
                sql = f"COPY {qn(self.db_table)} ({names}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {qn(self.db_table)} ({names}) VALUES ({marks})",
                    rows,
                )


def _plain_indexes(cursor, db_table):
    """(name, CREATE INDEX statement) of the table's indexes that back no primary
    key or unique constraint: dropping them loses no integrity check."""
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisunique "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
            "ORDER BY c.relname",
            [db_table],
        )
    else:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%' ORDER BY name",
            [db_table],
        )
    return cursor.fetchall()


def _statistics_targets(cursor, index):
    """ALTER INDEX statements that give the index's columns their statistics
    targets again (PostgreSQL; a rebuilt index has the default: leads 0021)."""
    cursor.execute(
        "SELECT attnum, attstattarget FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attstattarget >= 0 ORDER BY attnum",
        [index],
    )
    qn = connection.ops.quote_name
    return [
        f"ALTER INDEX {qn(index)} ALTER COLUMN {number} SET STATISTICS {target}"
        for number, target in cursor.fetchall()
    ]


def _foreign_keys(cursor, db_table):
    """(name, definition) of the table's foreign keys (PostgreSQL)."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        [db_table],
    )
    return cursor.fetchall()


def _run_deferred_checks(cursor):
    """Run the foreign key checks still pending in this transaction (PostgreSQL
    alters no table with pending trigger events), then defer again."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def deferred_indexes(db_tables):
    """Drop the plain indexes of these tables (names), run the block, build them
    again.

    On PostgreSQL the tables' foreign keys go too and are added back, which checks
    every row with one join per key instead of one trigger per row and key (what
    the PostgreSQL manual advises for populating a database). Unique and check
    constraints stay in place throughout.

    Use inside one transaction (both databases have transactional DDL): if the
    block fails or the process dies, indexes and keys come back with the rollback.
    Until commit the tables are locked (PostgreSQL: also for reading, and the
    tables they point at, such as users, for writing).
    """
    qn = connection.ops.quote_name
    postgresql = connection.vendor == "postgresql"
    indexes, foreign_keys = [], []
    with connection.cursor() as cursor:
        if postgresql:
            _run_deferred_checks(cursor)
        for db_table in db_tables:
            name = qn(db_table)
            if postgresql:
                for key, definition in _foreign_keys(cursor, db_table):
                    cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {qn(key)}")
                    foreign_keys.append(
                        f"ALTER TABLE {name} ADD CONSTRAINT {qn(key)} {definition}"
                    )
            for index, create in _plain_indexes(cursor, db_table):
                targets = _statistics_targets(cursor, index) if postgresql else []
                cursor.execute(f"DROP INDEX {qn(index)}")
                indexes += [create, *targets]
    yield
    with connection.cursor() as cursor:
        if postgresql:
            _run_deferred_checks(cursor)
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in indexes + foreign_keys:
            cursor.execute(statement)
    # Planner statistics: autovacuum analyzes the grown tables soon after commit.


def analyze(db_tables):
    """Planner statistics of these tables (PostgreSQL: a sample, seconds even for
    ten million rows; SQLite: its ANALYZE)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {', '.join(qn(t) for t in db_tables)}")
        else:
            for db_table in db_tables:
                cursor.execute(f"ANALYZE {qn(db_table)}")


@contextmanager
def disabled_triggers(triggers):
    """PostgreSQL: disable these (table, trigger) pairs for the block and enable
    them again, in the caller's transaction (a rollback enables them as well).
    Elsewhere nothing is disabled."""
    if connection.vendor != "postgresql":
        yield
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, trigger in triggers:
            cursor.execute(f"ALTER TABLE {qn(table)} DISABLE TRIGGER {qn(trigger)}")
    yield
    with connection.cursor() as cursor:
        for table, trigger in triggers:
            cursor.execute(f"ALTER TABLE {qn(table)} ENABLE TRIGGER {qn(trigger)}")
