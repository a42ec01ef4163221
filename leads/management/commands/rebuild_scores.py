"""Recount the lead-scoring tables and rescore every open lead.

    python manage.py rebuild_scores            # here, printing progress
    python manage.py rebuild_scores --queue    # hand it to the background worker

The scheduler runs it nightly (settings.LEADSITE_SCHEDULES, `manage.py
run_scheduler`); each lead's trend compares these nightly scores a week apart.
A rebuild already queued is joined, not doubled; one that is running is not
interrupted (a second one queues behind it).
"""

from django.core.management.base import BaseCommand, CommandError

from leads.models import RebuildStatus, ScoreRebuild
from leads.services.scoring import rebuild_scores, request_rebuild
from leads.tasks import rebuild_lead_scores


class Command(BaseCommand):
    help = "Recount the scoring tables and rescore every open lead."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue the rebuild for the background worker instead of running it here.",
        )

    def handle(self, *args, queue=False, **options):
        rebuild, created = request_rebuild(by=None)
        if queue:
            if created:
                rebuild_lead_scores.enqueue(rebuild.pk)
            self.stdout.write(f"Rebuild {rebuild.pk} queued.")
            return
        result = rebuild_scores(rebuild_id=rebuild.pk)
        if result is None:
            raise CommandError(
                f"Rebuild {rebuild.pk} waits: another rebuild is running or took it."
            )
        result = ScoreRebuild.objects.get(pk=rebuild.pk)
        if result.status != RebuildStatus.DONE:
            raise CommandError(f"Rebuild {rebuild.pk} failed: {result.error}")
        seconds = (result.finished_at - result.started_at).total_seconds()
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.closed_counted} closed leads counted, {result.done} open "
                f"leads rescored in {seconds:.1f} s."
            )
        )
