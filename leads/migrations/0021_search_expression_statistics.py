"""Finer statistics of the searched name, company and email expressions (PostgreSQL
only): the planner estimates how many leads contain a word ("smith") from the
statistics ANALYZE keeps of UPPER(column), the expression of the trigram and
prefix indexes (leads 0004). With the default target (100 histogram entries from
a 30,000-row sample) the estimate at ten million leads swung with each ANALYZE
sample: the lead list's filtered search was planned as the walk of the date index
that stops at the page's cap (39 ms) or as reading every trigram match (775 ms),
depending on the day. A target of 1,000 (300,000 sampled rows) gave the walk in
five ANALYZEs of five (README, "Ten million leads").

A catalogue change only; the ANALYZE that follows takes no lock that stops reads or
writes (docs/scale-out.md). Backwards: the default target again.
"""

from django.db import migrations

TARGET = 1000
INDEXES = [
    *(f"lead_{column}_trgm" for column in ("last_name", "first_name", "company_name")),
    "lead_email_trgm",
    *(f"lead_{column}_prefix" for column in ("last_name", "first_name", "company_name")),
]


def _set_target(schema_editor, target):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(
            f"ALTER INDEX IF EXISTS {name} ALTER COLUMN 1 SET STATISTICS {target}"
        )
    schema_editor.execute("ANALYZE leads_lead")


def finer(apps, schema_editor):
    _set_target(schema_editor, TARGET)


def default(apps, schema_editor):
    _set_target(schema_editor, -1)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("leads", "0020_source_report_unit_roll_ups")]

    operations = [migrations.RunPython(finer, default)]
