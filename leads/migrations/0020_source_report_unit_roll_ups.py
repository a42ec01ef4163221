"""The source report's unit roll-ups (levels UNIT_DAY, UNIT_MONTH, UNIT_YEAR of the
three summary tables: a business unit's rows summed over its owners, whose owner
columns hold ALL_OWNERS, -1), made here from the day rows already there; from now
on every refresh moves them with the per-owner roll-ups (leads.sql,
leads.reports.stage_summary). A manager's or an administrator's report reads them
when it is not narrowed to an owner or a team: at ten million leads the per-owner
day rows of 90 days were about a row per lead.

A refresh run by a server of the previous release after this migration moves the
per-owner rows only: once no such server is left, `manage.py rebuild_source_report`
makes both agree again (docs/scale-out.md, "Migrations while old app servers still
serve").
"""

from django.db import migrations

ALL_OWNERS = -1
SUMMARY_LOCK = 742_010
DAY, UNIT_DAY, UNIT_MONTH, UNIT_YEAR = 0, 3, 4, 5
UNIT_KEYS = ["source", "campaign_id", "business_unit_id"]
OWNER_KEYS = ["owner_user_id", "owner_team_id"]
# (model, the columns grouped besides the key, the columns summed)
TABLES = [
    ("SourceReportDay", [], None),
    ("SourceReportHistogram", ["metric", "bucket"], ["count"]),
    (
        "SourceReportStage",
        ["stage"],
        ["finished", "finished_seconds", "open", "open_since"],
    ),
]


def _truncated(vendor, unit):
    if vendor == "postgresql":
        return f"CAST(date_trunc('{unit}', period) AS date)"
    return f"date(period, 'start of {unit}')"


def _summed_columns(model, grouped):
    fixed = {"id", "period", "level", *UNIT_KEYS, *OWNER_KEYS, *grouped}
    return [f.column for f in model._meta.concrete_fields if f.column not in fixed]


def make_unit_roll_ups(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # The summary's refresh lock (leads.sql.SUMMARY_LOCK), held to the commit:
        # no refresh moves the day rows while their roll-ups are made.
        schema_editor.execute(f"SELECT pg_advisory_xact_lock({SUMMARY_LOCK})")
    periods = [
        (UNIT_DAY, "period"),
        (UNIT_MONTH, _truncated(vendor, "month")),
        (UNIT_YEAR, _truncated(vendor, "year")),
    ]
    for name, grouped, summed in TABLES:
        model = apps.get_model("leads", name)
        summed = summed or _summed_columns(model, grouped)
        table = model._meta.db_table
        keys = ", ".join([*UNIT_KEYS, *grouped])
        columns = ", ".join(
            ["period", "level", *UNIT_KEYS, *OWNER_KEYS, *grouped, *summed]
        )
        sums = ", ".join(f"SUM({column})" for column in summed)
        for level, period in periods:
            schema_editor.execute(
                f"INSERT INTO {table} ({columns}) "
                f"SELECT {period}, {level}, {', '.join(UNIT_KEYS)}, {ALL_OWNERS}, "
                f"{ALL_OWNERS}{''.join(', ' + g for g in grouped)}, {sums} "
                f"FROM {table} WHERE level = {DAY} GROUP BY {period}, {keys}"
            )


def drop_unit_roll_ups(apps, schema_editor):
    for name, _grouped, _summed in TABLES:
        apps.get_model("leads", name).objects.filter(
            level__in=[UNIT_DAY, UNIT_MONTH, UNIT_YEAR]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("leads", "0019_lead_owner_index_status")]

    operations = [migrations.RunPython(make_unit_roll_ups, drop_unit_roll_ups)]
