"""Covering indexes for the source report's summary reads (PostgreSQL only).

The all-time report as an administrator reads the year-level histogram rows (its
medians); with the columns it sums in the index, they come from an index-only scan
instead of a sequential scan of the whole table; the monthly trend likewise. SQLite's
planner gets nothing from INCLUDE, and its unique keys already start with (level,
period).
"""

from django.db import migrations

INDEXES = [
    (
        "report_hist_cover",
        "leads_sourcereporthistogram",
        "(level, period) INCLUDE (source, campaign_id, metric, bucket, count)",
    ),
    (
        "report_hist_bu_cover",
        "leads_sourcereporthistogram",
        "(business_unit_id, level, period) "
        "INCLUDE (source, campaign_id, metric, bucket, count)",
    ),
    (
        "report_day_cover",
        "leads_sourcereportday",
        "(level, period) INCLUDE (source, created)",
    ),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, definition in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} {definition}"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("leads", "0004_postgresql_search_indexes")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
