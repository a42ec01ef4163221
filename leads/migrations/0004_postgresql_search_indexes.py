"""Indexes for the lead searches at a million leads that Django's Meta.indexes cannot
express (PostgreSQL only; SQLite has no such index types: nothing there).

- lead_<column>_trgm, GIN trigram on UPPER(column::text): the list's text search and
  the admin's search use icontains, which PostgreSQL runs as UPPER(col::text) LIKE
  UPPER('%word%'); an index on exactly that expression turns a full scan into an
  index scan (last and first name, company, email, and the topic the admin searches).
- lead_<column>_prefix, btree on UPPER(column::text) text_pattern_ops: one- and
  two-letter searches are prefix matches (leads/filters.py), as are the admin's "^"
  search fields; a trigram index cannot serve a pattern shorter than three letters.
- lead_<phone>_digits_trgm, GIN trigram on the generated digit columns
  (leadsite.core.phones): "contains" (search) and "ends with" (a national number
  against its international form); the btree indexes in Meta serve "same number".
"""

from django.db import migrations

TRIGRAM_ON_UPPER = ["last_name", "first_name", "company_name", "email", "subject"]
PREFIX = ["last_name", "first_name", "company_name"]
TRIGRAM_ON_DIGITS = ["business_phone_digits", "mobile_phone_digits"]


def _indexes():
    """(name, definition) of every index on leads_lead made here."""
    return [
        *(
            (f"lead_{column}_trgm", f"USING gin ((UPPER({column}::text)) gin_trgm_ops)")
            for column in TRIGRAM_ON_UPPER
        ),
        *(
            (f"lead_{column}_prefix", f"((UPPER({column}::text)) text_pattern_ops)")
            for column in PREFIX
        ),
        *(
            (f"lead_{column}_trgm", f"USING gin ({column} gin_trgm_ops)")
            for column in TRIGRAM_ON_DIGITS
        ),
    ]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in _indexes():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON leads_lead {definition}"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _definition in _indexes():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("leads", "0003_roles")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
