"""Trigram indexes for the lead list's text search on PostgreSQL.

The search uses icontains, which PostgreSQL runs as UPPER(col::text) LIKE UPPER(...):
a GIN trigram index on exactly that expression turns a full-table scan into an
index scan. SQLite has no such index type; there the migration does nothing.
"""

from django.db import migrations

COLUMNS = ["last_name", "first_name", "company_name", "email"]


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
    dependencies = [("leads", "0002_roles")]

    operations = [migrations.RunPython(create, drop)]
