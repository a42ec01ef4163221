"""The jobs settings.LEADSITE_SCHEDULES names: each one's cron expression and the
task it queues, read afresh on each call (settings may change in tests)."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

from scheduling import cron


@dataclass(frozen=True)
class Schedule:
    """One periodic job: its name (the key in settings), when, and what it queues."""

    name: str
    cron: str
    task_path: str

    @property
    def task(self) -> Task:
        return import_string(self.task_path)

    def latest_due(self, now: datetime.datetime) -> datetime.datetime:
        """Its latest due time at or before `now` (the cron read in TIME_ZONE)."""
        return cron.latest_due(self.cron, now, timezone.get_default_timezone())

    def next_due(self, now: datetime.datetime) -> datetime.datetime:
        """Its first due time after `now`."""
        return cron.next_due(self.cron, now, timezone.get_default_timezone())


def configured_schedules() -> list[Schedule]:
    """Every job in settings.LEADSITE_SCHEDULES ({name: {"cron": ..., "task":
    "dotted.path"}}), in name order."""
    jobs = getattr(settings, "LEADSITE_SCHEDULES", {})
    return [
        Schedule(name=name, cron=job["cron"], task_path=job["task"])
        for name, job in sorted(jobs.items())
    ]
