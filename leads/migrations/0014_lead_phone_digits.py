"""The lead's phones as digits (issue 19): generated columns, their indexes.

business_phone_digits and mobile_phone_digits are stored generated columns
(leadsite.core.phones.PhoneDigits): the database computes them on every insert and
update, and for the rows already there when the column is added (PostgreSQL and
SQLite both rewrite the table then), so no data step is needed.

Equality (same number) is served by the btree indexes; "contains" (search) and
"ends with" (a national number against its international form) by trigram indexes
on PostgreSQL. Those replace the trigram indexes of 0004_h6 on the formatted
columns, which nothing searches any more, and the btree lead_phone.

SQLite cannot add a stored generated column in place: Django rebuilds the table
(copy, drop, rename). Dropping it drops its triggers, and renaming the copy fails
while other tables' triggers name it; so every trigger that mentions leads_lead
(the source report's, 0004_h2) is dropped before and created again after, from
its own stored SQL.
"""

from django.db import migrations, models

import leadsite.core.phones

DIGIT_COLUMNS = ["business_phone_digits", "mobile_phone_digits"]
FORMATTED_COLUMNS = ["business_phone", "mobile_phone"]


# The SQLite triggers set aside while the table is rebuilt (one migration run).
_SET_ASIDE: list[tuple[str, str]] = []


def set_triggers_aside(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND (tbl_name = 'leads_lead' OR sql LIKE '%leads_lead%') ORDER BY name"
        )
        _SET_ASIDE[:] = cursor.fetchall()
    for name, _sql in _SET_ASIDE:
        schema_editor.execute(f'DROP TRIGGER "{name}"')


def restore_triggers(apps, schema_editor):
    for _name, sql in _SET_ASIDE:
        schema_editor.execute(sql)
    _SET_ASIDE.clear()


def _formatted_trgm(column):
    return (
        f"CREATE INDEX IF NOT EXISTS lead_{column}_trgm ON leads_lead "
        f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
    )


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in DIGIT_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS lead_{column}_trgm ON leads_lead "
            f"USING gin ({column} gin_trgm_ops)"
        )
    for column in FORMATTED_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS lead_{column}_trgm")


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in DIGIT_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS lead_{column}_trgm")
    for column in FORMATTED_COLUMNS:
        schema_editor.execute(_formatted_trgm(column))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_phone_digits"),
        ("leads", "0013_import_checking_refused_undoing"),
    ]

    operations = [
        migrations.RunPython(set_triggers_aside, restore_triggers),
        migrations.RemoveIndex(
            model_name="lead",
            name="lead_phone",
        ),
        migrations.AddField(
            model_name="lead",
            name="business_phone_digits",
            field=models.GeneratedField(
                db_persist=True,
                expression=leadsite.core.phones.PhoneDigits("business_phone"),
                output_field=models.CharField(max_length=50),
            ),
        ),
        migrations.AddField(
            model_name="lead",
            name="mobile_phone_digits",
            field=models.GeneratedField(
                db_persist=True,
                expression=leadsite.core.phones.PhoneDigits("mobile_phone"),
                output_field=models.CharField(max_length=50),
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                fields=["business_phone_digits"], name="lead_phone_digits"
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                fields=["mobile_phone_digits"], name="lead_mobile_digits"
            ),
        ),
        migrations.RunPython(restore_triggers, set_triggers_aside),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
