"""Writes of the export log (accounts.models.audit): one entry per export file, and
one per read through an API list that reaches LEADSITE_EXPORT_LOG_API_ROWS rows.

Every export path calls these: the lead list's CSV and XLSX downloads and its
background XLSX jobs (leads.services.exports), the API's lead, account, contact and
opportunity lists (leads.api.views, accounts.api.common). Entries carry the query
string and a row count, never the rows themselves."""

import datetime
import hashlib
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from accounts.models import ApiListRead, ExportChannel, ExportLog, User
from leadsite.core.services import service

# The query-string keys of the API lists that are about the page, not the filter.
API_PAGE_KEYS = ("cursor",)
# A read's bookkeeping is kept this long after its last page.
API_READ_LIFETIME = datetime.timedelta(days=1)


@service
def log_export(
    *, by: User, records: str, channel: str, query: str, row_count: int
) -> ExportLog:
    """Write one export log entry: `by` took `row_count` `records` (an
    ExportedRecords value) as `channel` (ExportChannel) with the list's `query`
    string. One row; no transaction of its own is needed."""
    return ExportLog.objects.create(
        user=by,
        records=records,
        channel=channel,
        query=query,
        row_count=row_count,
    )


def _digest(cursor: str) -> str:
    return hashlib.sha256(cursor.encode()).hexdigest()


def _cursor_of(link: str | None) -> str:
    if not link:
        return ""
    values = parse_qs(urlsplit(link).query).get("cursor")
    return values[0] if values else ""


def api_list_query(params: QueryDict) -> str:
    """The API list request's query string without its cursor: what the export log
    records as its filter."""
    params = params.copy()
    for key in API_PAGE_KEYS:
        params.pop(key, None)
    return params.urlencode()


@service
@transaction.atomic
def log_api_list_page(
    *,
    by: User,
    records: str,
    params: QueryDict,
    rows: int,
    next_link: str | None,
    now: datetime.datetime | None = None,
) -> ExportLog | None:
    """Count one API list page of `rows` rows that `by` read (the request's `params`
    and the response's `next` link) towards the export log.

    A read is the pages a reader takes by following `next` links: a page whose
    cursor is the one handed out with the read's last page continues it. Once a read
    has taken LEADSITE_EXPORT_LOG_API_ROWS rows it is one ExportLog entry (channel
    API) whose row count grows with every further page. A single page below the
    threshold and without a next page writes nothing; other pages write one
    bookkeeping row (ApiListRead) and, past the threshold, the entry. Returns the
    entry, or None while the read is below the threshold."""
    now = now or timezone.now()
    threshold = settings.LEADSITE_EXPORT_LOG_API_ROWS
    cursor = params.get("cursor") or ""
    next_cursor = _cursor_of(next_link)
    read = None
    if cursor:
        read = (
            ApiListRead.objects.select_for_update()
            .filter(user=by, next_cursor=_digest(cursor), records=records)
            .first()
        )
    if read is None:
        if not next_cursor and rows < threshold:
            return None
        read = ApiListRead(user=by, records=records, query=api_list_query(params))
    read.rows += rows
    read.next_cursor = _digest(next_cursor) if next_cursor else ""
    read.updated_at = now
    if read.rows >= threshold:
        if read.log is None:
            read.log = ExportLog.objects.create(
                user=by,
                records=records,
                channel=ExportChannel.API,
                query=read.query,
                row_count=read.rows,
                created_at=now,
                last_read_at=now,
            )
        else:
            read.log.row_count = read.rows
            read.log.last_read_at = now
            read.log.save(update_fields=["row_count", "last_read_at"])
    read.save()
    return read.log


@service
def purge_api_list_reads(*, now: datetime.datetime | None = None) -> int:
    """Delete the bookkeeping of API list reads idle for more than a day (their
    export log entries stay); returns how many. Run daily by the retention job."""
    now = now or timezone.now()
    deleted, _ = ApiListRead.objects.filter(
        updated_at__lt=now - API_READ_LIFETIME
    ).delete()
    return deleted
