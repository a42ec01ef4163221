# Consent per person and purpose (issue 25): purposes, the purposes a capture form
# asks (wording and version), the append-only consent log, each person's current
# state per purpose; double opt-in on capture forms; an email template's (and a
# sent email's) purpose.
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0012_mass_update"),
        ("accounts", "0008_stages"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ConsentPurpose",
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
                    "name",
                    models.CharField(max_length=100, unique=True, verbose_name="name"),
                ),
                (
                    "code",
                    models.SlugField(
                        help_text="A short fixed name for imports, the API and capture form fields (e.g. newsletter).",
                        unique=True,
                        verbose_name="code",
                    ),
                ),
                (
                    "description",
                    models.TextField(
                        blank=True,
                        help_text="What the person agrees to, as users recording consent see it.",
                        verbose_name="description",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="created"),
                ),
            ],
            options={
                "verbose_name": "consent purpose",
                "verbose_name_plural": "consent purposes",
                "ordering": ["name"],
            },
        ),
        migrations.AddField(
            model_name="captureform",
            name="double_opt_in",
            field=models.BooleanField(
                default=False,
                help_text="Consent ticked on this form counts only once the visitor confirms it through the link emailed to them.",
                verbose_name="double opt-in",
            ),
        ),
        migrations.CreateModel(
            name="ConsentEvent",
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
                    "status",
                    models.CharField(
                        choices=[
                            ("given", "Given"),
                            ("withdrawn", "Withdrawn"),
                            ("pending", "Awaiting confirmation"),
                        ],
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("capture_form", "Capture form"),
                            ("double_opt_in", "Double opt-in confirmation"),
                            ("import", "Import"),
                            ("email", "Email"),
                            ("phone", "Phone"),
                            ("in_person", "In person"),
                        ],
                        max_length=16,
                        verbose_name="method",
                    ),
                ),
                (
                    "recorded_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="recorded"
                    ),
                ),
                ("wording", models.TextField(blank=True, verbose_name="wording")),
                (
                    "wording_version",
                    models.CharField(
                        blank=True, max_length=30, verbose_name="wording version"
                    ),
                ),
                (
                    "note",
                    models.CharField(blank=True, max_length=300, verbose_name="note"),
                ),
                (
                    "capture_form",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="leads.captureform",
                        verbose_name="capture form",
                    ),
                ),
                (
                    "confirms",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="confirmation",
                        to="leads.consentevent",
                        verbose_name="confirms",
                    ),
                ),
                (
                    "contact",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.contact",
                        verbose_name="contact",
                    ),
                ),
                (
                    "import_batch",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="leads.importbatch",
                        verbose_name="import",
                    ),
                ),
                (
                    "lead",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="leads.lead",
                        verbose_name="lead",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
                (
                    "purpose",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="leads.consentpurpose",
                        verbose_name="purpose",
                    ),
                ),
            ],
            options={
                "verbose_name": "consent event",
                "verbose_name_plural": "consent log",
                "ordering": ["-recorded_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="CaptureFormPurpose",
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
                    "wording",
                    models.TextField(
                        help_text="The exact text beside the checkbox.",
                        verbose_name="wording",
                    ),
                ),
                (
                    "version",
                    models.CharField(
                        help_text="E.g. 2025-01 or v2; change it whenever the wording changes.",
                        max_length=30,
                        verbose_name="version",
                    ),
                ),
                (
                    "position",
                    models.PositiveSmallIntegerField(
                        default=0, verbose_name="position"
                    ),
                ),
                (
                    "capture_form",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="consent_purposes",
                        to="leads.captureform",
                        verbose_name="capture form",
                    ),
                ),
                (
                    "purpose",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="leads.consentpurpose",
                        verbose_name="purpose",
                    ),
                ),
            ],
            options={
                "verbose_name": "consent asked on a capture form",
                "verbose_name_plural": "consents asked on the capture form",
                "ordering": ["position", "id"],
            },
        ),
        migrations.AddField(
            model_name="emailmessage",
            name="purpose",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="leads.consentpurpose",
                verbose_name="purpose",
            ),
        ),
        migrations.AddField(
            model_name="emailtemplate",
            name="purpose",
            field=models.ForeignKey(
                blank=True,
                help_text="Emails from this template go only to people who gave consent to this purpose.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="leads.consentpurpose",
                verbose_name="purpose",
            ),
        ),
        migrations.CreateModel(
            name="ConsentState",
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
                    "status",
                    models.CharField(
                        choices=[
                            ("given", "Given"),
                            ("withdrawn", "Withdrawn"),
                            ("pending", "Awaiting confirmation"),
                        ],
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("capture_form", "Capture form"),
                            ("double_opt_in", "Double opt-in confirmation"),
                            ("import", "Import"),
                            ("email", "Email"),
                            ("phone", "Phone"),
                            ("in_person", "In person"),
                        ],
                        max_length=16,
                        verbose_name="method",
                    ),
                ),
                ("since", models.DateTimeField(verbose_name="since")),
                (
                    "confirmation_sent_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="confirmation email sent"
                    ),
                ),
                (
                    "unconfirmed_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="flagged unconfirmed"
                    ),
                ),
                (
                    "contact",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.contact",
                        verbose_name="contact",
                    ),
                ),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="leads.consentevent",
                        verbose_name="latest event",
                    ),
                ),
                (
                    "lead",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="leads.lead",
                        verbose_name="lead",
                    ),
                ),
                (
                    "purpose",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="leads.consentpurpose",
                        verbose_name="purpose",
                    ),
                ),
            ],
            options={
                "verbose_name": "consent state",
                "verbose_name_plural": "consent states",
                "ordering": ["purpose__name"],
            },
        ),
        migrations.AddIndex(
            model_name="consentevent",
            index=models.Index(fields=["lead", "purpose"], name="consent_event_lead"),
        ),
        migrations.AddIndex(
            model_name="consentevent",
            index=models.Index(
                fields=["contact", "purpose"], name="consent_event_contact"
            ),
        ),
        migrations.AddConstraint(
            model_name="consentevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("contact__isnull", True), ("lead__isnull", False)),
                    models.Q(("contact__isnull", False), ("lead__isnull", True)),
                    _connector="OR",
                ),
                name="consentevent_one_person",
                violation_error_message="Consent belongs to exactly one lead or contact.",
            ),
        ),
        migrations.AddConstraint(
            model_name="captureformpurpose",
            constraint=models.UniqueConstraint(
                fields=("capture_form", "purpose"),
                name="capture_form_purpose_once",
                violation_error_message="The form already asks for this purpose.",
            ),
        ),
        migrations.AddIndex(
            model_name="consentstate",
            index=models.Index(fields=["status", "since"], name="consent_state_status"),
        ),
        migrations.AddConstraint(
            model_name="consentstate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("contact__isnull", True), ("lead__isnull", False)),
                    models.Q(("contact__isnull", False), ("lead__isnull", True)),
                    _connector="OR",
                ),
                name="consentstate_one_person",
                violation_error_message="Consent belongs to exactly one lead or contact.",
            ),
        ),
        migrations.AddConstraint(
            model_name="consentstate",
            constraint=models.UniqueConstraint(
                condition=models.Q(("lead__isnull", False)),
                fields=("lead", "purpose"),
                name="consentstate_lead_purpose_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="consentstate",
            constraint=models.UniqueConstraint(
                condition=models.Q(("contact__isnull", False)),
                fields=("contact", "purpose"),
                name="consentstate_contact_purpose_once",
            ),
        ),
    ]
