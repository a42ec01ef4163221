"""`manage.py check` (and run_scheduler's start) refuses a schedule that cannot run: a
bad cron expression, or a task path that is not a task callable without arguments."""

import inspect

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string
from django_tasks.base import Task

from scheduling import cron


@register()
def check_schedules(app_configs=None, **kwargs):
    jobs = getattr(settings, "LEADSITE_SCHEDULES", {})
    if not isinstance(jobs, dict):
        return [_error("LEADSITE_SCHEDULES must be a dict: {name: {cron, task}}.")]
    errors = []
    for name, job in jobs.items():
        if not isinstance(job, dict) or not {"cron", "task"} <= set(job):
            errors.append(_error(f"Job {name!r} needs a 'cron' and a 'task'."))
            continue
        try:
            cron.check_expression(job["cron"])
        except cron.CronSimError as error:
            errors.append(_error(f"Job {name!r}: bad cron {job['cron']!r}: {error}."))
        problem = _task_problem(job["task"])
        if problem:
            errors.append(_error(f"Job {name!r}: {problem}."))
    return errors


def _task_problem(path: str) -> str | None:
    try:
        task = import_string(path)
    except ImportError as error:
        return f"cannot import {path!r} ({error})"
    if not isinstance(task, Task):
        return f"{path!r} is not a task (decorate it with @task())"
    try:
        inspect.signature(task.func).bind()
    except TypeError:
        return f"{path!r} needs arguments; a scheduled task takes none"
    return None


def _error(message: str) -> Error:
    return Error(message, id="scheduling.E001")
