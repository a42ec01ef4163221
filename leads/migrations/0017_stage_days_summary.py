"""Days per stage from the summary: SourceReportStage rows (per day and key, the
sums and counts behind the averages of leads.reports.stages), and triggers that
mark a lead's day when a visit of its qualifying opportunity is written
(accounts_stagevisit insert, update, delete), as 0006_source_report_triggers does
for the other tables the report reads. The days of the leads that already have a
stage time are marked, so that the next refresh computes their rows.

SQLite drops a table's triggers when it rebuilds the table: a later migration that
rebuilds accounts_stagevisit there must create these triggers again (0006 says the
same of its tables; tests/test_source_report_triggers.py checks they are all there).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DIRTY = "leads_sourcereportdirty"
TABLE = "accounts_stagevisit"
PG_DAYS = (
    "SELECT DISTINCT (l.created_at AT TIME ZONE 'UTC')::date FROM leads_lead l "
    "JOIN {rows} r ON l.qualifying_opportunity_id = r.opportunity_id"
)
PG_REFERENCING = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}
SQLITE_DAYS = {
    "INSERT": "NEW.opportunity_id",
    "UPDATE": "OLD.opportunity_id, NEW.opportunity_id",
    "DELETE": "OLD.opportunity_id",
}
TIMED_LEADS = "qualified_at IS NOT NULL OR qualifying_opportunity_id IS NOT NULL"


def _name(operation):
    return f"report_dirty_{TABLE}_{operation.lower()}"


def _postgresql():
    create, drop = [], []
    for operation, referencing in PG_REFERENCING.items():
        name = _name(operation)
        if operation == "UPDATE":
            days = (
                PG_DAYS.format(rows="old_rows")
                + " UNION "
                + PG_DAYS.format(rows="new_rows")
            )
        else:
            days = PG_DAYS.format(rows=referencing.split()[-1])
        create += [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN INSERT INTO {DIRTY} (day) {days}; RETURN NULL; END $$",
            f"CREATE TRIGGER {name} AFTER {operation} ON {TABLE} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
        drop += [
            f"DROP TRIGGER IF EXISTS {name} ON {TABLE}",
            f"DROP FUNCTION IF EXISTS {name}()",
        ]
    create.append(
        f"INSERT INTO {DIRTY} (day) SELECT DISTINCT "
        f"(created_at AT TIME ZONE 'UTC')::date FROM leads_lead WHERE {TIMED_LEADS}"
    )
    return create, drop


def _sqlite():
    create, drop = [], []
    for operation, opportunities in SQLITE_DAYS.items():
        name = _name(operation)
        create.append(
            f"CREATE TRIGGER {name} AFTER {operation} ON {TABLE} "
            f"BEGIN INSERT INTO {DIRTY} (day) SELECT date(created_at) FROM leads_lead "
            f"WHERE qualifying_opportunity_id IN ({opportunities}); END"
        )
        drop.append(f"DROP TRIGGER IF EXISTS {name}")
    create.append(
        f"INSERT INTO {DIRTY} (day) SELECT DISTINCT date(created_at) FROM leads_lead "
        f"WHERE {TIMED_LEADS}"
    )
    return create, drop


def _statements(vendor):
    if vendor == "postgresql":
        return _postgresql()
    if vendor == "sqlite":
        return _sqlite()
    return [], []


def create_triggers(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor)[0]:
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor)[1]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_translated_labels"),
        ("leads", "0016_source_summary_state"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SourceReportStage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("period", models.DateField(verbose_name="period")),
                (
                    "level",
                    models.PositiveSmallIntegerField(default=0, verbose_name="level"),
                ),
                (
                    "source",
                    models.PositiveSmallIntegerField(null=True, verbose_name="source"),
                ),
                ("stage", models.PositiveSmallIntegerField(verbose_name="stage")),
                (
                    "finished",
                    models.IntegerField(
                        default=0,
                        help_text="Qualified leads or left stage visits.",
                        verbose_name="finished",
                    ),
                ),
                (
                    "finished_seconds",
                    models.FloatField(
                        default=0,
                        help_text="Their summed durations.",
                        verbose_name="finished seconds",
                    ),
                ),
                (
                    "open",
                    models.IntegerField(
                        default=0,
                        help_text="Stage visits not left yet.",
                        verbose_name="open",
                    ),
                ),
                (
                    "open_since",
                    models.FloatField(
                        default=0,
                        help_text="Their summed starts, in seconds since 1970-01-01 UTC.",
                        verbose_name="open since",
                    ),
                ),
                (
                    "business_unit",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.businessunit",
                        verbose_name="business unit",
                    ),
                ),
                (
                    "campaign",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="leads.campaign",
                        verbose_name="campaign",
                    ),
                ),
                (
                    "owner_team",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.team",
                        verbose_name="owner team",
                    ),
                ),
                (
                    "owner_user",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner user",
                    ),
                ),
            ],
            options={
                "verbose_name": "source report stage",
                "verbose_name_plural": "source report stages",
                "indexes": [
                    models.Index(
                        fields=["business_unit", "level", "period"],
                        name="report_stage_bu",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "level",
                            "period",
                            "source",
                            "campaign",
                            "business_unit",
                            "owner_user",
                            "owner_team",
                            "stage",
                        ),
                        name="report_stage_key",
                    )
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
