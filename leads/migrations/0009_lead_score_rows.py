"""Every lead has its score row, from its insert on: the trigger lead_score_row_insert
adds an empty row (no score yet) for each lead inserted, however it is inserted (the
services, bulk imports, seeding, COPY, the admin), and the rows of the leads already
there are added here; lead_score_row_delete takes a lead's row with it however the
lead is deleted (Django deletes it first; raw SQL needs the trigger). The lead list sorted by score can then join the score table
as an inner join and, on PostgreSQL, read the index lead_score_desc (score DESC
NULLS LAST, lead_id DESC, created here: SQLite has no NULLS LAST in an index) in
order (README, "Lead scoring"). PostgreSQL: a statement-level trigger over the inserted rows; SQLite: a
row-level one. Like 0006's, a later migration that rebuilds leads_lead on SQLite
must drop this trigger before and create it again after.

An empty row's scored_at is 1970: any scoring overwrites it (leads.sql.write_scores
never replaces a newer score with an older one).
"""

from django.db import migrations, models

NAME = "lead_score_row_insert"
GONE = "lead_score_row_delete"
EMPTY_PG = "'', '[]'::jsonb, '[]'::jsonb, TIMESTAMPTZ '1970-01-01 00:00:00+00', ''"
EMPTY_SQLITE = "'', '[]', '[]', '1970-01-01 00:00:00', ''"
COLUMNS = "lead_id, scope, factors, history, scored_at, pin_reason"


def _statements(vendor):
    if vendor == "postgresql":
        create = [
            # The list sorted by score: a page is this index's first rows, each
            # lead then read by its key (the list joins the score as an inner join).
            "CREATE INDEX lead_score_desc ON leads_leadscore "
            "(score DESC NULLS LAST, lead_id DESC)",
            # Before the rows below: PostgreSQL builds no index on a table with
            # foreign-key checks pending in the transaction.
            f"CREATE FUNCTION {NAME}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN INSERT INTO leads_leadscore ({COLUMNS}) "
            f"SELECT id, {EMPTY_PG} FROM new_rows; RETURN NULL; END $$",
            f"CREATE TRIGGER {NAME} AFTER INSERT ON leads_lead "
            "REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {NAME}()",
            f"CREATE FUNCTION {GONE}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN DELETE FROM leads_leadscore WHERE lead_id IN "
            "(SELECT id FROM old_rows); RETURN NULL; END $$",
            f"CREATE TRIGGER {GONE} AFTER DELETE ON leads_lead "
            "REFERENCING OLD TABLE AS old_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {GONE}()",
            f"INSERT INTO leads_leadscore ({COLUMNS}) SELECT id, {EMPTY_PG} "
            "FROM leads_lead l WHERE NOT EXISTS "
            "(SELECT 1 FROM leads_leadscore s WHERE s.lead_id = l.id)",
        ]
        drop = [
            "DROP INDEX IF EXISTS lead_score_desc",
            f"DROP TRIGGER IF EXISTS {NAME} ON leads_lead",
            f"DROP FUNCTION IF EXISTS {NAME}()",
            f"DROP TRIGGER IF EXISTS {GONE} ON leads_lead",
            f"DROP FUNCTION IF EXISTS {GONE}()",
        ]
        return create, drop
    if vendor == "sqlite":
        create = [
            f"CREATE TRIGGER {NAME} AFTER INSERT ON leads_lead BEGIN "
            f"INSERT INTO leads_leadscore ({COLUMNS}) VALUES (NEW.id, {EMPTY_SQLITE}); "
            "END",
            f"CREATE TRIGGER {GONE} AFTER DELETE ON leads_lead BEGIN "
            "DELETE FROM leads_leadscore WHERE lead_id = OLD.id; END",
            f"INSERT INTO leads_leadscore ({COLUMNS}) SELECT id, {EMPTY_SQLITE} "
            "FROM leads_lead l WHERE NOT EXISTS "
            "(SELECT 1 FROM leads_leadscore s WHERE s.lead_id = l.id)",
        ]
        return create, [
            f"DROP TRIGGER IF EXISTS {NAME}",
            f"DROP TRIGGER IF EXISTS {GONE}",
        ]
    return [], []


def create_trigger(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor)[0]:
        schema_editor.execute(sql)


def drop_trigger(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor)[1]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("leads", "0008_scoring")]

    operations = [
        migrations.RemoveIndex(model_name="leadscore", name="lead_score_desc"),
        migrations.AddIndex(
            model_name="leadscore",
            index=models.Index(fields=["score"], name="lead_score"),
        ),
        # The scoring backtest reads the leads closed in a window of days.
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["closed_at"], name="lead_closed_at"),
        ),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
