from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.http import JsonResponse
from django.utils.translation import gettext
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from leadsite.core.api import API_PREFIX, PROBLEM_CONTENT_TYPE, problem_body
from leadsite.core.transactions import sqlstate

LOCK_WAITS = """
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'
      AND state = 'active' AND now() - query_start > make_interval(secs => %s)
"""


def _check_postgresql() -> dict:
    """SELECT 1 under a short statement timeout, and how many queries have waited
    on a lock beyond the threshold (rows held by a long transaction)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, true)",
            [str(settings.LEADSITE_HEALTHZ_DB_TIMEOUT_MS)],
        )
        cursor.execute("SELECT 1")
        cursor.fetchone()
        cursor.execute(LOCK_WAITS, [settings.LEADSITE_HEALTHZ_LOCK_WAIT_SECONDS])
        (waiting,) = cursor.fetchone()
    return {"lock_waits": waiting}


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Liveness and database check for load balancers; no login.

    503 when the database fails or does not answer SELECT 1 within
    LEADSITE_HEALTHZ_DB_TIMEOUT_MS ("slow"); 200 "degraded" with "database": "slow"
    when queries are waiting on row locks (pages touching those rows answer
    "busy, try again" after the lock timeout).
    """
    try:
        if connection.vendor == "postgresql":
            details = _check_postgresql()
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            details = {}
    except Exception as exc:  # any database failure means unhealthy
        slow = sqlstate(exc) == "57014"
        return JsonResponse(
            {
                "status": "error",
                "database": "slow" if slow else str(exc.__class__.__name__),
            },
            status=503,
        )
    if details.get("lock_waits"):
        return JsonResponse({"status": "degraded", "database": "slow", **details})
    return JsonResponse({"status": "ok", "database": "ok"})


def _api_problem(request, status: int, detail: str) -> JsonResponse | None:
    if not request.path.startswith(API_PREFIX):
        return None
    return JsonResponse(
        problem_body(status, detail=detail),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def page_not_found(request, exception):
    """handler404: an API URL that matches no endpoint answers problem details, as
    the endpoints do; every other URL the site's 404 page."""
    return _api_problem(
        request, 404, gettext("No endpoint at this URL (see /api/schema/).")
    ) or defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: problem details under /api/, else the site's 500 page."""
    return _api_problem(
        request, 500, gettext("Something went wrong on our side. Try again later.")
    ) or defaults.server_error(request)
