"""Dates within the business range (1900–2200), enforced by the database.

As accounts 0002_business_date_range (see there for why clamp, not empty): first
stored values outside the range are clamped to its nearest end, then the CHECK
constraints (leadsite.core.dates) are added. A datetime is checked in UTC with a day
of slack either side, and clamped to noon UTC of the first or last day (still that
day from UTC-12 to UTC+11).
"""

import datetime

from django.conf import settings
from django.db import migrations, models

DATE_MIN = datetime.date(1900, 1, 1)
DATE_MAX = datetime.date(2200, 12, 31)
DATETIME_MIN = datetime.datetime(1899, 12, 31, tzinfo=datetime.UTC)
DATETIME_MAX = datetime.datetime(2201, 1, 2, tzinfo=datetime.UTC)  # exclusive
NOON_FIRST = datetime.datetime(1900, 1, 1, 12, tzinfo=datetime.UTC)
NOON_LAST = datetime.datetime(2200, 12, 31, 12, tzinfo=datetime.UTC)
DATES = {"campaign": ["start_date", "end_date"], "lead": ["estimated_close_date"]}
DATETIMES = {"activity": ["due_at", "start_at", "end_at"], "lead": ["created_at"]}


def clamp_dates(apps, schema_editor):
    for model_name, fields in DATES.items():
        model = apps.get_model("leads", model_name)
        for field in fields:
            model.objects.filter(**{f"{field}__lt": DATE_MIN}).update(
                **{field: DATE_MIN}
            )
            model.objects.filter(**{f"{field}__gt": DATE_MAX}).update(
                **{field: DATE_MAX}
            )
    for model_name, fields in DATETIMES.items():
        model = apps.get_model("leads", model_name)
        for field in fields:
            model.objects.filter(**{f"{field}__lt": DATETIME_MIN}).update(
                **{field: NOON_FIRST}
            )
            model.objects.filter(**{f"{field}__gte": DATETIME_MAX}).update(
                **{field: NOON_LAST}
            )
    if schema_editor.connection.vendor == "postgresql":
        # The updates' deferred foreign-key checks must run before the same tables
        # are altered below (PostgreSQL refuses with trigger events pending).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_business_date_range"),
        ("leads", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(clamp_dates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="activity",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("due_at__isnull", True),
                    models.Q(
                        (
                            "due_at__gte",
                            datetime.datetime(
                                1899, 12, 31, 0, 0, tzinfo=datetime.timezone.utc
                            ),
                        ),
                        (
                            "due_at__lt",
                            datetime.datetime(
                                2201, 1, 2, 0, 0, tzinfo=datetime.timezone.utc
                            ),
                        ),
                    ),
                    _connector="OR",
                ),
                name="activity_due_at_in_range",
                violation_error_code="date_out_of_range",
                violation_error_message="Enter a date between 1900 and 2200.",
            ),
        ),
        migrations.AddConstraint(
            model_name="activity",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("start_at__isnull", True),
                    models.Q(
                        (
                            "start_at__gte",
                            datetime.datetime(
                                1899, 12, 31, 0, 0, tzinfo=datetime.timezone.utc
                            ),
                        ),
                        (
                            "start_at__lt",
                            datetime.datetime(
                                2201, 1, 2, 0, 0, tzinfo=datetime.timezone.utc
                            ),
                        ),
                    ),
                    _connector="OR",
                ),
                name="activity_start_at_in_range",
                violation_error_code="date_out_of_range",
                violation_error_message="Enter a date between 1900 and 2200.",
            ),
        ),
        migrations.AddConstraint(
            model_name="activity",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("end_at__isnull", True),
                    models.Q(
                        (
                            "end_at__gte",
                            datetime.datetime(
                                1899, 12, 31, 0, 0, tzinfo=datetime.timezone.utc
                            ),
                        ),
                        (
                            "end_at__lt",
                            datetime.datetime(
                                2201, 1, 2, 0, 0, tzinfo=datetime.timezone.utc
                            ),
                        ),
                    ),
                    _connector="OR",
                ),
                name="activity_end_at_in_range",
                violation_error_code="date_out_of_range",
                violation_error_message="Enter a date between 1900 and 2200.",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaign",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("start_date__isnull", True),
                    models.Q(
                        ("start_date__gte", datetime.date(1900, 1, 1)),
                        ("start_date__lte", datetime.date(2200, 12, 31)),
                    ),
                    _connector="OR",
                ),
                name="campaign_start_date_in_range",
                violation_error_code="date_out_of_range",
                violation_error_message="Enter a date between 1900 and 2200.",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaign",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("end_date__isnull", True),
                    models.Q(
                        ("end_date__gte", datetime.date(1900, 1, 1)),
                        ("end_date__lte", datetime.date(2200, 12, 31)),
                    ),
                    _connector="OR",
                ),
                name="campaign_end_date_in_range",
                violation_error_code="date_out_of_range",
                violation_error_message="Enter a date between 1900 and 2200.",
            ),
        ),
        migrations.AddConstraint(
            model_name="lead",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("estimated_close_date__isnull", True),
                    models.Q(
                        ("estimated_close_date__gte", datetime.date(1900, 1, 1)),
                        ("estimated_close_date__lte", datetime.date(2200, 12, 31)),
                    ),
                    _connector="OR",
                ),
                name="lead_estimated_close_date_in_range",
                violation_error_code="date_out_of_range",
                violation_error_message="Enter a date between 1900 and 2200.",
            ),
        ),
        migrations.AddConstraint(
            model_name="lead",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("created_at__isnull", True),
                    models.Q(
                        (
                            "created_at__gte",
                            datetime.datetime(
                                1899, 12, 31, 0, 0, tzinfo=datetime.timezone.utc
                            ),
                        ),
                        (
                            "created_at__lt",
                            datetime.datetime(
                                2201, 1, 2, 0, 0, tzinfo=datetime.timezone.utc
                            ),
                        ),
                    ),
                    _connector="OR",
                ),
                name="lead_created_at_in_range",
                violation_error_code="date_out_of_range",
                violation_error_message="Enter a date between 1900 and 2200.",
            ),
        ),
    ]
