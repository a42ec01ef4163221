"""Reads for exports: the leads an export writes (the lead list's scope and filters,
for a request or for a job in the worker), the user's export jobs and a job's
progress."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from leads.models import ExportJob, ExportStatus
from leads.selectors.leads import filter_leads

# Query-string keys that are about the page or the file, not about which leads.
NOT_FILTERS = ("format", "page")
# A running job whose worker has not reported for this long has stopped. The
# worker reports after counting and after every PROGRESS_EVERY leads, far more often.
STALE_SECONDS = 120
RECENT_JOBS = 20


def export_query(params: QueryDict) -> str:
    """The lead-list query string an export applies: `params` without the page or
    file format."""
    params = params.copy()
    for key in NOT_FILTERS:
        params.pop(key, None)
    return params.urlencode()


def export_leads(*, user, query: str, request=None):
    """The leads an export writes: the lead list of `query` (saved view, filters,
    search, order) within `user`'s scope, exactly as the list shows them.

    In the worker there is no request; the filter's choices (owners, teams, units)
    and the "mine" view are still those of `user`, through a request made for them."""
    params = QueryDict(query)
    if request is None:
        request = HttpRequest()
        request.user = user
        request.GET = params
    return filter_leads(user=user, params=params, request=request).qs


def more_than(queryset, limit: int) -> bool:
    """Whether `queryset` has more than `limit` rows, reading at most limit + 1."""
    return queryset.order_by()[: limit + 1].count() > limit


def list_export_jobs(*, user):
    """The user's own export jobs, newest first (nobody sees another's exports)."""
    return ExportJob.objects.filter(created_by=user)


def get_export_job(*, pk, user) -> ExportJob:
    """One of the user's own export jobs (ExportJob.DoesNotExist otherwise)."""
    return list_export_jobs(user=user).get(pk=pk)


def is_interrupted(job: ExportJob) -> bool:
    """Running, but the worker has not reported for STALE_SECONDS: it stopped."""
    if job.status != ExportStatus.RUNNING:
        return False
    last = job.heartbeat_at or job.started_at
    return last is None or (timezone.now() - last).total_seconds() > STALE_SECONDS


@dataclass(frozen=True)
class ExportProgress:
    done: int
    total: int
    percent: int
    interrupted: bool
    polling: bool  # the page asks again for news
    expires_at: datetime.datetime | None  # when a ready file is removed


def export_progress(job: ExportJob) -> ExportProgress:
    """How far the job is, for its progress page."""
    total = max(job.total_rows, job.rows_done)
    interrupted = is_interrupted(job)
    if job.status == ExportStatus.DONE:
        percent = 100
    else:
        percent = int(job.rows_done * 100 / total) if total else 0
    polling = (
        job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) and not interrupted
    )
    expires_at = None
    if job.status == ExportStatus.DONE and job.finished_at:
        expires_at = job.finished_at + datetime.timedelta(
            hours=settings.LEADSITE_EXPORT_RETENTION_HOURS
        )
    return ExportProgress(
        done=job.rows_done,
        total=total,
        percent=min(percent, 100),
        interrupted=interrupted,
        polling=polling,
        expires_at=expires_at,
    )


def is_downloadable(job: ExportJob) -> bool:
    """The job's file is built and still kept."""
    return job.status == ExportStatus.DONE and bool(job.file)
