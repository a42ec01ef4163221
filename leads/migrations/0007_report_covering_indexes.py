"""PostgreSQL only: covering indexes for the source report's summary reads.

At a million leads the all-time report as an administrator read 490,000 year-level
histogram rows (the medians) with a parallel sequential scan of the whole 220 MB
table (240-300 ms). With the columns it sums in the index, the same rows come from
an index-only scan of about 30 MB (about 90 ms, measured with EXPLAIN ANALYZE on the
seeded million); the monthly trend likewise. SQLite's planner gets nothing from
INCLUDE, and its unique keys already start with (level, period)."""

from django.db import migrations

INDEXES = {
    "report_hist_cover": (
        "leads_sourcereporthistogram",
        "(level, period) INCLUDE (source, campaign_id, metric, bucket, count)",
    ),
    "report_hist_bu_cover": (
        "leads_sourcereporthistogram",
        "(business_unit_id, level, period) "
        "INCLUDE (source, campaign_id, metric, bucket, count)",
    ),
    "report_day_cover": (
        "leads_sourcereportday",
        "(level, period) INCLUDE (source, created)",
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, columns) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("leads", "0006_history_industry")]

    operations = [migrations.RunPython(create, drop)]
