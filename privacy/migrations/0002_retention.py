# The retention policy and its run log (privacy.models.retention), and the partial
# indexes the runs read on the leads and webhooks tables (RETENTION_INDEXES there):
# each holds only the rows a run may still have to handle.

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

INDEXES = [
    (
        "privacy_lead_retention",
        "leads_lead",
        "closed_at",
        "state = 2 AND last_name <> 'Anonymised'",
    ),
    (
        "privacy_activity_done_retention",
        "leads_activity",
        "completed_at",
        "state = 'completed' AND subject <> 'Removed (retention)'",
    ),
    (
        "privacy_activity_canceled_retention",
        "leads_activity",
        "created_at",
        "state = 'canceled' AND subject <> 'Removed (retention)'",
    ),
    ("privacy_email_body_retention", "leads_emailmessage", "queued_at", "body <> ''"),
    (
        "privacy_delivery_retention",
        "webhooks_delivery",
        "created_at",
        "status <> 'pending'",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("leads", "0012_mass_update"),
        ("webhooks", "0001_outbound_webhooks"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RetentionRun",
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
                    "started_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="started"
                    ),
                ),
                (
                    "finished_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="finished"
                    ),
                ),
                (
                    "trigger",
                    models.CharField(
                        choices=[
                            ("schedule", "Scheduler"),
                            ("page", "Retention page"),
                            ("command", "Command"),
                        ],
                        max_length=10,
                        verbose_name="started from",
                    ),
                ),
                (
                    "lead_action",
                    models.CharField(
                        choices=[("anonymise", "Anonymise"), ("delete", "Delete")],
                        max_length=10,
                        verbose_name="lead action",
                    ),
                ),
                (
                    "periods",
                    models.JSONField(
                        default=dict,
                        help_text="Days per kind (null: kept forever).",
                        verbose_name="periods",
                    ),
                ),
                (
                    "counts",
                    models.JSONField(
                        default=dict,
                        help_text="Per kind: records done and records held.",
                        verbose_name="counts",
                    ),
                ),
                ("error", models.TextField(blank=True, verbose_name="error")),
                (
                    "started_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="started by",
                    ),
                ),
            ],
            options={
                "verbose_name": "retention run",
                "verbose_name_plural": "retention runs",
                "ordering": ["-started_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="RetentionPolicy",
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
                    "disqualified_leads_days",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Counted from the disqualification. Empty: kept forever.",
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(10000),
                        ],
                        verbose_name="disqualified leads (days)",
                    ),
                ),
                (
                    "disqualified_leads_action",
                    models.CharField(
                        choices=[("anonymise", "Anonymise"), ("delete", "Delete")],
                        default="anonymise",
                        help_text="Anonymise: names, contact details, address, texts, notes and attachments go; source, status, dates and amounts stay, so the source report keeps its numbers. Delete: the lead and its timeline go, and the report no longer counts it.",
                        max_length=10,
                        verbose_name="then",
                    ),
                ),
                (
                    "closed_activities_days",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Completed activities counted from completion, cancelled ones from creation. Their subject and description, and an email's text and addresses, are removed; kind, dates, owner and state stay, so the reports keep their numbers. Empty: kept forever.",
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(10000),
                        ],
                        verbose_name="closed activities (days)",
                    ),
                ),
                (
                    "email_bodies_days",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="The text of emails sent and received, counted from when they were queued or received; addresses and subject stay. Empty: kept forever.",
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(10000),
                        ],
                        verbose_name="email bodies (days)",
                    ),
                ),
                (
                    "import_files_days",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="The uploaded file and the row report of finished imports, counted from the end of the import; the import's summary stays. Empty: kept forever.",
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(10000),
                        ],
                        verbose_name="import files (days)",
                    ),
                ),
                (
                    "webhook_logs_days",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Finished webhook deliveries with their attempts, and the events left without deliveries. Empty: kept forever.",
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(10000),
                        ],
                        verbose_name="webhook delivery logs (days)",
                    ),
                ),
                (
                    "modified_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="changed at"
                    ),
                ),
                (
                    "modified_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="changed by",
                    ),
                ),
            ],
            options={
                "verbose_name": "retention policy",
                "verbose_name_plural": "retention policies",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("id", 1)), name="retention_policy_one_row"
                    )
                ],
            },
        ),
    ] + [
        migrations.RunSQL(
            f"CREATE INDEX {name} ON {table} ({column}) WHERE {condition}",
            f"DROP INDEX {name}",
        )
        for name, table, column, condition in INDEXES
    ]
