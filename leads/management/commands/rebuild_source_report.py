"""Recompute every summary row of the lead-source report from the leads.

    python manage.py rebuild_source_report

Needed only after changing DJANGO_TIME_ZONE (summary days are local days) or when
summary rows were lost (a partial restore); ordinary writes keep them exact through
the triggers of migration leads 0006_source_report_triggers.
"""

import time

from django.core.management.base import BaseCommand

from leads.reports.summary import rebuild_source_summary


class Command(BaseCommand):
    help = "Recompute the lead-source report's summary rows from the leads."

    def handle(self, *args, **options):
        started = time.perf_counter()
        rebuild_source_summary()
        self.stdout.write(
            self.style.SUCCESS(
                f"Source report summary rebuilt in {time.perf_counter() - started:.1f}s."
            )
        )
