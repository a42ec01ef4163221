from django.db import migrations, models


def create_state(apps, schema_editor):
    """The one bookkeeping row (leads.reports.summary.STATE), never refreshed yet."""
    apps.get_model("leads", "SourceReportState").objects.create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("leads", "0015_translated_labels")]

    operations = [
        migrations.CreateModel(
            name="SourceReportState",
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
                (
                    "refreshed_at",
                    models.DateTimeField(
                        help_text=(
                            "The figures include every change made before this time."
                        ),
                        null=True,
                        verbose_name="refreshed at",
                    ),
                ),
                (
                    "queued_at",
                    models.DateTimeField(
                        help_text="A background refresh waits or runs since this time.",
                        null=True,
                        verbose_name="queued at",
                    ),
                ),
                (
                    "pending_days",
                    models.PositiveIntegerField(default=0, verbose_name="pending days"),
                ),
                (
                    "pending_from",
                    models.DateField(null=True, verbose_name="pending from"),
                ),
                (
                    "pending_to",
                    models.DateField(null=True, verbose_name="pending to"),
                ),
            ],
            options={
                "verbose_name": "source report state",
                "verbose_name_plural": "source report states",
            },
        ),
        migrations.RunPython(create_state, migrations.RunPython.noop),
    ]
