"""Re-route leads nobody contacted in time.

    python manage.py reroute_overdue

A rule with "re-route if not contacted within N hours" hands an Open/New lead with
no completed activity to the next eligible member of its target (or the fallback
chain) once N hours have passed since it was routed. Run it from cron, e.g. every
15 minutes:  */15 * * * *  cd /srv/leadsite && .venv/bin/python manage.py reroute_overdue
"""

from django.core.management.base import BaseCommand

from leads.services.routing import reroute_overdue_leads


class Command(BaseCommand):
    help = "Re-route leads not contacted within their rule's response time."

    def handle(self, *args, **options):
        entries = reroute_overdue_leads()
        for entry in entries:
            self.stdout.write(f"  {entry.lead}: {entry.detail}")
        self.stdout.write(
            self.style.SUCCESS(f"{len(entries)} overdue lead(s) re-routed.")
        )
