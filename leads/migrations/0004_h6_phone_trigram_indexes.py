"""Trigram indexes on the lead phone columns for the global search (PostgreSQL only).

Same expression as 0003 (UPPER(col::text), what icontains compiles to), so a phone
number typed in the top bar's search is an index scan on a million leads.
"""

from django.db import migrations

COLUMNS = ["business_phone", "mobile_phone"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS lead_{column}_trgm ON leads_lead "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS lead_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("leads", "0004_h7_indexes")]

    operations = [migrations.RunPython(create, drop)]
