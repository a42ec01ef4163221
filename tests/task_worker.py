"""Background tasks in tests as production runs them: queued as rows in the database
(django_tasks_db's DatabaseBackend) and run by django_tasks_db's Worker, the code
behind `manage.py db_worker`. A view test then shows that its request only queued
the work, and runs the queue when it wants the work done."""

from django.db import transaction
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def make_worker(worker_id: str, *, batch: bool, max_tasks=None) -> Worker:
    return Worker(
        queue_names=["default"],
        interval=0.1,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def queued_tasks() -> list[str]:
    """The module paths of the tasks waiting in the queue."""
    return list(DBTaskResult.objects.ready().values_list("task_path", flat=True))


def run_queued_tasks(*, allow_failures: bool = False) -> list[DBTaskResult]:
    """Run the queue in this thread until it is empty (tasks queued by a task run
    too), each task claimed and run as db_worker's loop does (Worker.run_task), and
    return the results. A task that failed fails the test with its traceback,
    unless allow_failures. (Worker.run itself closes the connection between tasks,
    which a test's transaction cannot survive, so its loop is not used here.)"""
    worker = make_worker("tests", batch=True)
    ran = []
    while True:
        with transaction.atomic():
            result = DBTaskResult.objects.ready().get_locked()
            if result is None:
                break
            result.claim(worker.worker_id)
        worker.run_task(result)
        result.refresh_from_db()
        if result.status == TaskResultStatus.FAILED and not allow_failures:
            raise AssertionError(f"task {result.task_path} failed:\n{result.traceback}")
        ran.append(result)
    return ran
