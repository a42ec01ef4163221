"""Each lead's score row carries copies of the lead's owner and state, so that a
user's open leads, best first (the home page's "Call these first"), are the first
rows of the partial index lead_score_owner_open, whatever the user's count: sorting
a user's open leads by a score read from another table took 104 ms for 14,000 of
them at ten million leads, and grew with them.

Triggers keep the copies, however a lead is written (services, bulk routing,
imports, the admin, COPY, raw SQL): 0009's lead_score_row_insert now copies both
with the new row, and lead_score_row_owner copies them again when either changes
(PostgreSQL and SQLite: a row trigger with a WHEN, so an edit that changes neither
costs nothing). The rows already there are copied here. Like 0006's and 0009's, a
later migration that rebuilds leads_lead on SQLite must drop these triggers before
and create them again after (tests/test_scoring_tables.py checks the copies).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


INSERT = "lead_score_row_insert"
UPDATE = "lead_score_row_owner"
COLUMNS = "lead_id, scope, factors, history, scored_at, pin_reason"
PG_EMPTY = "'', '[]'::jsonb, '[]'::jsonb, TIMESTAMPTZ '1970-01-01 00:00:00+00', ''"
SQLITE_EMPTY = "'', '[]', '[]', '1970-01-01 00:00:00', ''"
CHANGED = "OLD.owner_user_id IS NOT NEW.owner_user_id OR OLD.state IS NOT NEW.state"
GONE = "lead_score_row_delete"
SQLITE_GONE = (
    f"CREATE TRIGGER {GONE} AFTER DELETE ON leads_lead BEGIN "
    "DELETE FROM leads_leadscore WHERE lead_id = OLD.id; END"
)
SQLITE_DROPS = [f"DROP TRIGGER IF EXISTS {INSERT}", f"DROP TRIGGER IF EXISTS {GONE}"]
BACKFILL = {
    "postgresql": (
        "UPDATE leads_leadscore s SET owner_user_id = l.owner_user_id, "
        "state = l.state FROM leads_lead l WHERE l.id = s.lead_id"
    ),
    "sqlite": (
        "UPDATE leads_leadscore SET (owner_user_id, state) = (SELECT "
        "l.owner_user_id, l.state FROM leads_lead l WHERE l.id = leads_leadscore.lead_id)"
    ),
}


def _insert_function(copies):
    columns, values = (
        (f"{COLUMNS}, owner_user_id, state", "owner_user_id, state")
        if copies
        else (COLUMNS, None)
    )
    selected = f"id, {PG_EMPTY}" + (f", {values}" if values else "")
    return (
        f"CREATE OR REPLACE FUNCTION {INSERT}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN INSERT INTO leads_leadscore ({columns}) "
        f"SELECT {selected} FROM new_rows; RETURN NULL; END $$"
    )


def _sqlite_insert_trigger(copies):
    columns, values = (
        (f"{COLUMNS}, owner_user_id, state", ", NEW.owner_user_id, NEW.state")
        if copies
        else (COLUMNS, "")
    )
    return (
        f"CREATE TRIGGER {INSERT} AFTER INSERT ON leads_lead BEGIN "
        f"INSERT INTO leads_leadscore ({columns}) "
        f"VALUES (NEW.id, {SQLITE_EMPTY}{values}); END"
    )


def _statements(vendor):
    """(forward, backward) statements of this vendor."""
    if vendor == "postgresql":
        forward = [
            BACKFILL[vendor],
            _insert_function(copies=True),
            f"CREATE FUNCTION {UPDATE}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN UPDATE leads_leadscore SET owner_user_id = NEW.owner_user_id, "
            "state = NEW.state WHERE lead_id = NEW.id; RETURN NULL; END $$",
            f"CREATE TRIGGER {UPDATE} AFTER UPDATE OF owner_user_id, state "
            "ON leads_lead FOR EACH ROW WHEN (OLD.owner_user_id IS DISTINCT FROM "
            "NEW.owner_user_id OR OLD.state IS DISTINCT FROM NEW.state) "
            f"EXECUTE FUNCTION {UPDATE}()",
        ]
        backward = [
            f"DROP TRIGGER IF EXISTS {UPDATE} ON leads_lead",
            f"DROP FUNCTION IF EXISTS {UPDATE}()",
            _insert_function(copies=False),
        ]
        return forward, backward
    if vendor == "sqlite":
        forward = [
            BACKFILL[vendor],
            _sqlite_insert_trigger(copies=True),
            SQLITE_GONE,
            f"CREATE TRIGGER {UPDATE} AFTER UPDATE OF owner_user_id, state "
            f"ON leads_lead FOR EACH ROW WHEN {CHANGED} BEGIN "
            "UPDATE leads_leadscore SET owner_user_id = NEW.owner_user_id, "
            "state = NEW.state WHERE lead_id = NEW.id; END",
        ]
        return forward, [f"DROP TRIGGER IF EXISTS {UPDATE}", *SQLITE_DROPS]
    return [], []


def before_sqlite_rebuild(apps, schema_editor):
    """SQLite rebuilds leads_leadscore to add the columns, and refuses while
    triggers on leads_lead name it: 0009's are dropped first, made again below."""
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_DROPS:
            schema_editor.execute(sql)


def after_sqlite_rebuild_undone(apps, schema_editor):
    """Backwards: 0009's triggers again, once the columns are gone."""
    if schema_editor.connection.vendor == "sqlite":
        for sql in (_sqlite_insert_trigger(copies=False), SQLITE_GONE):
            schema_editor.execute(sql)


def copy_owner_and_state(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor)[0]:
        schema_editor.execute(sql)


def stop_copying(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor)[1]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0017_stage_days_summary"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(before_sqlite_rebuild, after_sqlite_rebuild_undone),
        migrations.AddField(
            model_name="leadscore",
            name="owner_user",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="lead's owner user",
            ),
        ),
        migrations.AddField(
            model_name="leadscore",
            name="state",
            field=models.PositiveSmallIntegerField(
                choices=[(0, "Open"), (1, "Qualified"), (2, "Disqualified")],
                db_default=0,
                editable=False,
                verbose_name="lead's state",
            ),
        ),
        migrations.RunPython(copy_owner_and_state, stop_copying),
        migrations.AddIndex(
            model_name="leadscore",
            index=models.Index(
                condition=models.Q(("state", 0)),
                fields=["owner_user", "-score", "-lead"],
                name="lead_score_owner_open",
            ),
        ),
    ]
