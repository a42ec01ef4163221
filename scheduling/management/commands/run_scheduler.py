"""Queue the periodic jobs for the background worker, each at its schedule's times.

    python manage.py run_scheduler

Runs beside `manage.py db_worker` (`make run` starts both); the schedules are
settings.LEADSITE_SCHEDULES. Several schedulers (one per machine, say) queue each
due time once; a time missed while none ran is caught up once when one starts.
Stops on SIGTERM or Ctrl-C."""

import signal
import threading

from django.core.management.base import BaseCommand

from scheduling.process import serve
from scheduling.schedules import configured_schedules


class Command(BaseCommand):
    help = "Queue the periodic jobs (settings.LEADSITE_SCHEDULES) for the worker."

    def handle(self, *args, **options):
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        for schedule in configured_schedules():
            self.stdout.write(
                f"  {schedule.name}: {schedule.cron}  {schedule.task_path}"
            )
        self.stdout.write("Scheduler running (Ctrl-C stops it).")
        serve(stop=stop)
        self.stdout.write("Scheduler stopped.")
