"""Background tasks of the privacy app (django-tasks; run by `manage.py db_worker`)."""

from django.contrib.auth import get_user_model
from django_tasks import task

from privacy.models import RunTrigger
from privacy.services import retention


@task()
def apply_retention(user_id: int | None = None, trigger: str = RunTrigger.SCHEDULE):
    """Apply the retention policy (nightly from the scheduler, or for the
    administrator `user_id` who pressed "Run now"); returns the counts per kind."""
    by = get_user_model().objects.get(pk=user_id) if user_id is not None else None
    run = retention.apply_retention(by=by, trigger=trigger)
    return run.counts
