# The export log (accounts.models.audit): ExportLog, and ApiListRead, the
# bookkeeping of a read through the API's list pages.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_user_locale"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ExportLog",
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
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="when"
                    ),
                ),
                (
                    "records",
                    models.CharField(
                        choices=[
                            ("leads", "Leads"),
                            ("accounts", "Accounts"),
                            ("contacts", "Contacts"),
                            ("opportunities", "Opportunities"),
                        ],
                        max_length=16,
                        verbose_name="records",
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("csv", "CSV file"),
                            ("xlsx", "Excel workbook"),
                            ("api", "API list"),
                        ],
                        max_length=8,
                        verbose_name="as",
                    ),
                ),
                (
                    "query",
                    models.TextField(
                        blank=True,
                        help_text="The list's query string: filters, saved view, search, order.",
                        verbose_name="filter",
                    ),
                ),
                (
                    "row_count",
                    models.PositiveIntegerField(default=0, verbose_name="rows"),
                ),
                (
                    "last_read_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="API: when the reader took the last page so far.",
                        null=True,
                        verbose_name="last read",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "export log entry",
                "verbose_name_plural": "export log",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="ApiListRead",
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
                    "records",
                    models.CharField(
                        choices=[
                            ("leads", "Leads"),
                            ("accounts", "Accounts"),
                            ("contacts", "Contacts"),
                            ("opportunities", "Opportunities"),
                        ],
                        max_length=16,
                    ),
                ),
                ("query", models.TextField(blank=True)),
                ("rows", models.PositiveIntegerField(default=0)),
                ("next_cursor", models.CharField(blank=True, max_length=64)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "log",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.exportlog",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="exportlog",
            index=models.Index(fields=["-created_at", "-id"], name="export_log_recent"),
        ),
        migrations.AddIndex(
            model_name="exportlog",
            index=models.Index(
                fields=["user", "-created_at", "-id"], name="export_log_user_recent"
            ),
        ),
        migrations.AddIndex(
            model_name="apilistread",
            index=models.Index(
                fields=["user", "next_cursor"], name="api_list_read_next"
            ),
        ),
        migrations.AddIndex(
            model_name="apilistread",
            index=models.Index(fields=["updated_at"], name="api_list_read_age"),
        ),
    ]
