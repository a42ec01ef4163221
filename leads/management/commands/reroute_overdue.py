"""Re-route leads nobody contacted in time.

    python manage.py reroute_overdue

A rule with "re-route if not contacted within N hours" hands an Open/New lead with
no completed activity to the next eligible member of its target (or the fallback
chain) once N hours have passed since it was routed. The scheduler (`manage.py
run_scheduler`) runs it every 15 minutes (settings.LEADSITE_SCHEDULES); this command
runs it by hand.

Two runs may overlap (a slow run, a second cron host): each lead is checked again
under its row lock, so it is re-routed once. A lead that fails is reported and the
run goes on with the others; the command then exits with an error status.
"""

from django.core.management.base import BaseCommand, CommandError

from leads.services.routing import reroute_overdue_leads


class Command(BaseCommand):
    help = "Re-route leads not contacted within their rule's response time."

    def handle(self, *args, **options):
        result = reroute_overdue_leads()
        for entry in result.rerouted:
            self.stdout.write(f"  {entry.lead}: {entry.detail}")
        self.stdout.write(
            self.style.SUCCESS(f"{len(result.rerouted)} overdue lead(s) re-routed.")
        )
        if result.skipped:
            self.stdout.write(
                f"{len(result.skipped)} lead(s) no longer overdue when their turn "
                "came (contacted, closed or re-routed meanwhile): left as they are."
            )
        for lead, why in result.failed:
            self.stderr.write(f"  lead {lead.pk} ({lead}): {why}")
        if result.failed:
            raise CommandError(
                f"{len(result.failed)} overdue lead(s) could not be re-routed."
            )
