"""The scheduler's one write: `tick(now)` queues every job due at `now` that no
scheduler has queued yet."""

import datetime
import logging
from functools import partial

from django.db import transaction
from django_tasks import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks_db import DatabaseBackend

from scheduling.models import ScheduledRun
from scheduling.schedules import Schedule, configured_schedules

logger = logging.getLogger(__name__)

# A job's runs older than this before its latest are deleted (the table stays small);
# only the latest due time is ever contended.
KEEP = datetime.timedelta(days=14)


def tick(now: datetime.datetime) -> list[ScheduledRun]:
    """For each job in settings, its latest due time at or before `now`: when no
    scheduler has handled it yet, queue the job's task (or join its previous run
    still waiting in the queue) and return the new runs.

    A run row per job and due time, unique in the database, makes several
    schedulers (threads, processes, machines) queue each due time once: the second
    insert waits for the first's commit and then finds it. A due time missed while
    no scheduler ran is the latest one at the next tick, so it runs once, however
    many were missed. With the database task queue the task row is written in the
    run row's transaction (both or neither); other backends queue after commit. A
    job that cannot be queued (the database away) is logged and left to the next
    tick, which finds the same due time unhandled; the other jobs go on."""
    runs = []
    for schedule in configured_schedules():
        try:
            run = _start_run(schedule=schedule, due_at=schedule.latest_due(now))
        except Exception:
            logger.exception(
                "%s: could not be queued; the next tick tries again", schedule.name
            )
            continue
        if run is not None:
            runs.append(run)
    return runs


@transaction.atomic
def _start_run(*, schedule: Schedule, due_at: datetime.datetime):
    run, created = ScheduledRun.objects.get_or_create(job=schedule.name, due_at=due_at)
    if not created:
        return None
    task = schedule.task
    waiting = _waiting_task_id(schedule=schedule, before=due_at)
    if waiting:
        run.task_id, run.joined = waiting, True
        run.save(update_fields=["task_id", "joined"])
        logger.info("%s: its run still waits in the queue, joined", run)
    elif isinstance(task.get_backend(), DatabaseBackend):
        run.task_id = task.enqueue().id
        run.save(update_fields=["task_id"])
        logger.info("%s: queued", run)
    else:
        transaction.on_commit(partial(_enqueue_after_commit, run=run, task=task))
    ScheduledRun.objects.filter(job=schedule.name, due_at__lt=due_at - KEEP).delete()
    return run


def _waiting_task_id(*, schedule: Schedule, before: datetime.datetime) -> str | None:
    """The task of the job's previous run when it has not started yet (a worker
    that was down comes back to one run of each job, not a backlog)."""
    previous = (
        ScheduledRun.objects.filter(job=schedule.name, due_at__lt=before)
        .exclude(task_id="")
        .order_by("-due_at")
        .first()
    )
    backend = schedule.task.get_backend()
    if previous is None or not backend.supports_get_result:
        return None
    try:
        result = backend.get_result(previous.task_id)
    except TaskResultDoesNotExist:
        return None
    return previous.task_id if result.status == TaskResultStatus.READY else None


def _enqueue_after_commit(*, run: ScheduledRun, task) -> None:
    run.task_id = task.enqueue().id
    ScheduledRun.objects.filter(pk=run.pk).update(task_id=run.task_id)
    logger.info("%s: queued", run)
