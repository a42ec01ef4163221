"""Each lead's score row carries copies of the lead's owner and state, so that a
user's open leads, best first (the home page's "Call these first"), are the first
rows of the partial index lead_score_owner_open, whatever the user's count: sorting
a user's open leads by a score read from another table took 104 ms for 14,000 of
them at ten million leads, and grew with them.

Triggers keep the copies, however a lead is written (services, bulk routing,
imports, the admin, COPY, raw SQL): 0009's lead_score_row_insert now copies both
with the new row, and lead_score_row_owner copies them again when either changes
(PostgreSQL and SQLite: a row trigger with a WHEN, so an edit that changes neither
costs nothing). The rows already there are copied here after the triggers exist,
50,000 leads to a transaction, and the index is built CONCURRENTLY on PostgreSQL, so
app servers keep writing meanwhile (5 min 46 s at ten million leads, in one
transaction then). Like 0006's and 0009's, a
later migration that rebuilds leads_lead on SQLite must drop these triggers before
and create them again after (tests/test_scoring_tables.py checks the copies).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models, transaction


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
# The rows already there, a range of lead ids at a time, each range committed on its
# own (the migration is not atomic): no score row stays locked for long while app
# servers serve (docs/scale-out.md, "Migrations while old app servers still serve").
BACKFILL_IDS = 50_000
BACKFILL = {
    "postgresql": (
        "UPDATE leads_leadscore s SET owner_user_id = l.owner_user_id, "
        "state = l.state FROM leads_lead l WHERE l.id = s.lead_id "
        "AND s.lead_id >= %s AND s.lead_id < %s"
    ),
    "sqlite": (
        "UPDATE leads_leadscore SET (owner_user_id, state) = (SELECT "
        "l.owner_user_id, l.state FROM leads_lead l WHERE l.id = leads_leadscore.lead_id) "
        "WHERE lead_id >= %s AND lead_id < %s"
    ),
}
INDEX = models.Index(
    condition=models.Q(("state", 0)),
    fields=["owner_user", "-score", "-lead"],
    name="lead_score_owner_open",
)


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
    """The triggers first (every write from now on keeps its copies), then the
    rows already there, range by range."""
    vendor = schema_editor.connection.vendor
    for sql in _statements(vendor)[0]:
        schema_editor.execute(sql)
    if vendor not in BACKFILL:
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT MIN(lead_id), MAX(lead_id) FROM leads_leadscore")
        low, high = cursor.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, BACKFILL_IDS):
            with transaction.atomic(using=schema_editor.connection.alias):
                cursor.execute(BACKFILL[vendor], [start, start + BACKFILL_IDS])


def _change_index(apps, schema_editor, change):
    """schema_editor.add_index or remove_index of INDEX: CONCURRENTLY on
    PostgreSQL, so writes to the score rows go on."""
    model = apps.get_model("leads", "LeadScore")
    concurrently = schema_editor.connection.vendor == "postgresql"
    getattr(schema_editor, change)(
        model, INDEX, **({"concurrently": True} if concurrently else {})
    )


def add_index(apps, schema_editor):
    _change_index(apps, schema_editor, "add_index")


def remove_index(apps, schema_editor):
    _change_index(apps, schema_editor, "remove_index")


def stop_copying(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor)[1]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    # Batched backfill and a concurrent index build (docs/scale-out.md).
    atomic = False
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
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="leadscore", index=INDEX)],
            database_operations=[migrations.RunPython(add_index, remove_index)],
        ),
    ]
