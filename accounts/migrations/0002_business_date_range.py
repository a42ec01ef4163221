"""Dates within the business range (1900–2200), enforced by the database.

First the data fix, then the CHECK constraints (leadsite.core.dates): adding a
constraint fails while a stored value breaks it. A date stored outside the range (by
a script, or before the forms refused it) is clamped to the nearest end of the range
rather than emptied: clamping keeps its order against every real date (a year-9999
"away until" stays in the future, a won deal keeps the actual close date its
constraint needs, start-before-end pairs stay ordered), and the page shows a
boundary date its owner can correct.
"""

import datetime

from django.db import migrations, models

DATE_MIN = datetime.date(1900, 1, 1)
DATE_MAX = datetime.date(2200, 12, 31)
DATES = {
    "opportunity": ["estimated_close_date", "actual_close_date"],
    "user": ["unavailable_until"],
}


def clamp_dates(apps, schema_editor):
    for model_name, fields in DATES.items():
        model = apps.get_model("accounts", model_name)
        for field in fields:
            model.objects.filter(**{f"{field}__lt": DATE_MIN}).update(
                **{field: DATE_MIN}
            )
            model.objects.filter(**{f"{field}__gt": DATE_MAX}).update(
                **{field: DATE_MAX}
            )
    if schema_editor.connection.vendor == "postgresql":
        # The updates' deferred foreign-key checks must run before the same tables
        # are altered below (PostgreSQL refuses with trigger events pending).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(clamp_dates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="opportunity",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("estimated_close_date__isnull", True),
                    models.Q(
                        ("estimated_close_date__gte", datetime.date(1900, 1, 1)),
                        ("estimated_close_date__lte", datetime.date(2200, 12, 31)),
                    ),
                    _connector="OR",
                ),
                name="opportunity_estimated_close_date_in_range",
                violation_error_code="date_out_of_range",
                violation_error_message="Enter a date between 1900 and 2200.",
            ),
        ),
        migrations.AddConstraint(
            model_name="opportunity",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("actual_close_date__isnull", True),
                    models.Q(
                        ("actual_close_date__gte", datetime.date(1900, 1, 1)),
                        ("actual_close_date__lte", datetime.date(2200, 12, 31)),
                    ),
                    _connector="OR",
                ),
                name="opportunity_actual_close_date_in_range",
                violation_error_code="date_out_of_range",
                violation_error_message="Enter a date between 1900 and 2200.",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("unavailable_until__isnull", True),
                    models.Q(
                        ("unavailable_until__gte", datetime.date(1900, 1, 1)),
                        ("unavailable_until__lte", datetime.date(2200, 12, 31)),
                    ),
                    _connector="OR",
                ),
                name="user_unavailable_until_in_range",
                violation_error_code="date_out_of_range",
                violation_error_message="Enter a date between 1900 and 2200.",
            ),
        ),
    ]
