"""Imports from other products (issue 19): the lead's record ID in the system it
came from (unique per system where set: a second import of a D365 export finds the
leads of the first), and a batch's source product and required-field fills.

SQLite adds external_system (NOT NULL, default '') by rebuilding leads_lead; the
source report's triggers that name the table are set aside around it, as in
0014_lead_phone_digits.
"""

import importlib

from django.conf import settings
from django.db import migrations, models

_triggers = importlib.import_module("leads.migrations.0014_lead_phone_digits")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_opportunity_stage_probability"),
        ("leads", "0015_lead_queue_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="historicallead",
            name="external_id",
            field=models.CharField(
                blank=True, editable=False, max_length=100, null=True
            ),
        ),
        migrations.AddField(
            model_name="historicallead",
            name="external_system",
            field=models.CharField(blank=True, editable=False, max_length=20),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="fills",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Required lead field → the text (a constant, or a template with {field} placeholders) it takes where no column gives it a value.",
            ),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="source_system",
            field=models.CharField(
                blank=True,
                help_text="The product whose export the file is (d365, salesforce, hubspot, odoo), recognised from its header; empty for any other file.",
                max_length=20,
            ),
        ),
        migrations.RunPython(_triggers.set_triggers_aside, _triggers.restore_triggers),
        migrations.AddField(
            model_name="lead",
            name="external_id",
            field=models.CharField(
                blank=True, editable=False, max_length=100, null=True
            ),
        ),
        migrations.AddField(
            model_name="lead",
            name="external_system",
            field=models.CharField(blank=True, editable=False, max_length=20),
        ),
        migrations.AddConstraint(
            model_name="lead",
            constraint=models.UniqueConstraint(
                condition=models.Q(("external_id__isnull", False)),
                fields=("external_system", "external_id"),
                name="lead_external_id_once",
            ),
        ),
        migrations.RunPython(_triggers.restore_triggers, _triggers.set_triggers_aside),
    ]
