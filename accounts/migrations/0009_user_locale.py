# Each user's language and time zone (issue 25).
from django.db import migrations, models

import leadsite.core.locale


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_stages")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[("en", "English"), ("de", "Deutsch"), ("fr", "Français")],
                help_text="Pages and emails in this language; empty: the browser's.",
                max_length=8,
                verbose_name="language",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="time_zone",
            field=models.CharField(
                blank=True,
                help_text="Times are shown in this zone; empty: the organisation's.",
                max_length=64,
                validators=[leadsite.core.locale.validate_time_zone],
                verbose_name="time zone",
            ),
        ),
    ]
