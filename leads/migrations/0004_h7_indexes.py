"""Indexes the lead search needs at a million leads (PostgreSQL only).

- lead_subject_trgm: the admin's search_fields include the topic (subject), which
  Django searches as UPPER(subject::text) LIKE UPPER('%word%'); without a trigram
  index that is a full scan of the table (about 1 s at a million leads).
- lead_<column>_prefix: one- and two-letter searches are prefix matches
  (leads/filters.py) and the admin's "^" search fields are too. A trigram index
  cannot serve a pattern shorter than three letters; a btree on the same UPPER()
  expression with text_pattern_ops turns UPPER(col) LIKE 'JO%' into a range scan.

SQLite has no such index types; there the migration does nothing. The EXPLAIN
output behind each index is in the README, "Performance".
"""

from django.db import migrations

PREFIX_COLUMNS = ["last_name", "first_name", "company_name"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS lead_subject_trgm ON leads_lead "
        "USING gin ((UPPER(subject::text)) gin_trgm_ops)"
    )
    for column in PREFIX_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS lead_{column}_prefix ON leads_lead "
            f"((UPPER({column}::text)) text_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS lead_subject_trgm")
    for column in PREFIX_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS lead_{column}_prefix")


class Migration(migrations.Migration):
    dependencies = [("leads", "0004_h4_integrity")]

    operations = [migrations.RunPython(create, drop)]
