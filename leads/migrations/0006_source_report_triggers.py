"""The source report's triggers: every write on a table the report reads marks the
UTC creation day of each lead it touched in leads_sourcereportdirty, and
leads.reports.summary.refresh_source_summary() recomputes those days before the next
read. No service has to call anything, and a write around the services (admin,
import, raw SQL) is counted too.

Triggers, named report_dirty_<table>_<operation>, on PostgreSQL and SQLite alike:
  leads_lead            insert, update, delete
  accounts_opportunity  update, delete (a lead's qualifying opportunity)
  leads_activity        insert, update, delete (a lead's first completed activity)
PostgreSQL: statement-level triggers with transition tables (one mark per distinct
day a statement touched; COPY fires them too), each running the function of the
same name. SQLite: row-level triggers (it has no statement-level ones).

Last in the history on purpose: SQLite rebuilds a table for many schema changes
(copy, drop, rename), which drops the table's triggers and fails while another
table's trigger names it. A later migration that rebuilds one of these tables on
SQLite must drop these triggers before and create them again after.
"""

from django.db import migrations

DIRTY = "leads_sourcereportdirty"

# PostgreSQL: SQL selecting the UTC days from the transition table {rows}.
PG_LEAD_DAYS = "SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM {rows}"
PG_OPPORTUNITY_DAYS = (
    "SELECT DISTINCT (l.created_at AT TIME ZONE 'UTC')::date FROM leads_lead l "
    "JOIN {rows} r ON l.qualifying_opportunity_id = r.id"
)
PG_ACTIVITY_DAYS = (
    "SELECT DISTINCT (l.created_at AT TIME ZONE 'UTC')::date FROM leads_lead l "
    "JOIN {rows} r ON l.id = r.lead_id"
)
PG_TRIGGERS = [
    ("leads_lead", PG_LEAD_DAYS, ["INSERT", "UPDATE", "DELETE"]),
    ("accounts_opportunity", PG_OPPORTUNITY_DAYS, ["UPDATE", "DELETE"]),
    ("leads_activity", PG_ACTIVITY_DAYS, ["INSERT", "UPDATE", "DELETE"]),
]
PG_REFERENCING = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}

# SQLite: (table, operation, the days to insert as VALUES or a SELECT).
SQLITE_TRIGGERS = [
    ("leads_lead", "INSERT", "VALUES (date(NEW.created_at))"),
    ("leads_lead", "UPDATE", "VALUES (date(OLD.created_at)), (date(NEW.created_at))"),
    ("leads_lead", "DELETE", "VALUES (date(OLD.created_at))"),
    (
        "accounts_opportunity",
        "UPDATE",
        "SELECT date(created_at) FROM leads_lead WHERE qualifying_opportunity_id "
        "IN (OLD.id, NEW.id)",
    ),
    (
        "accounts_opportunity",
        "DELETE",
        "SELECT date(created_at) FROM leads_lead WHERE qualifying_opportunity_id = OLD.id",
    ),
    (
        "leads_activity",
        "INSERT",
        "SELECT date(created_at) FROM leads_lead WHERE id = NEW.lead_id",
    ),
    (
        "leads_activity",
        "UPDATE",
        "SELECT date(created_at) FROM leads_lead WHERE id IN (OLD.lead_id, NEW.lead_id)",
    ),
    (
        "leads_activity",
        "DELETE",
        "SELECT date(created_at) FROM leads_lead WHERE id = OLD.lead_id",
    ),
]


def _name(table, operation):
    return f"report_dirty_{table}_{operation.lower()}"


def _postgresql():
    create, drop = [], []
    for table, days, operations in PG_TRIGGERS:
        for operation in operations:
            name = _name(table, operation)
            if operation == "UPDATE":
                selected = (
                    days.format(rows="old_rows")
                    + " UNION "
                    + days.format(rows="new_rows")
                )
            else:
                rows = "old_rows" if operation == "DELETE" else "new_rows"
                selected = days.format(rows=rows)
            create += [
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN INSERT INTO {DIRTY} (day) {selected}; RETURN NULL; END $$",
                f"CREATE TRIGGER {name} AFTER {operation} ON {table} "
                f"REFERENCING {PG_REFERENCING[operation]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
            ]
            drop += [
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"DROP FUNCTION IF EXISTS {name}()",
            ]
    # Rows already there: their days are recomputed on the first read.
    create.append(
        f"INSERT INTO {DIRTY} (day) SELECT DISTINCT "
        "(created_at AT TIME ZONE 'UTC')::date FROM leads_lead"
    )
    return create, drop


def _sqlite():
    create, drop = [], []
    for table, operation, days in SQLITE_TRIGGERS:
        name = _name(table, operation)
        create.append(
            f"CREATE TRIGGER {name} AFTER {operation} ON {table} "
            f"BEGIN INSERT INTO {DIRTY} (day) {days}; END"
        )
        drop.append(f"DROP TRIGGER IF EXISTS {name}")
    create.append(
        f"INSERT INTO {DIRTY} (day) SELECT DISTINCT date(created_at) FROM leads_lead"
    )
    return create, drop


def _statements(vendor):
    if vendor == "postgresql":
        return _postgresql()
    if vendor == "sqlite":
        return _sqlite()
    return [], []


def create_triggers(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor)[0]:
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor)[1]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_postgresql_indexes"),
        ("leads", "0005_postgresql_report_indexes"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
