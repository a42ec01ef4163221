"""Finding 7 of issue 7: a slow or locked database does not take the site down.

PostgreSQL cancels a statement or a lock wait before the worker timeout; the request
gets LeadSite's "busy, try again" page and /healthz says the database is slow."""

import threading
import time

from django.db import connection, connections, transaction
from django.urls import reverse

from leads.models import Lead
from tests import factories
from tests.integrity_helpers import on_postgresql
from tests.test_settings import run_python

PRINT_OPTIONS = (
    "import leadsite.settings as s; "
    "print(s.DATABASES['default'].get('OPTIONS', {}).get('options', ''))"
)
PG = "postgres://postgres@127.0.0.1:5432/leadsite"


def test_postgresql_timeouts_come_from_the_environment():
    options = run_python(
        PRINT_OPTIONS,
        DATABASE_URL=PG,
        DJANGO_DB_STATEMENT_TIMEOUT_MS="15000",
        DJANGO_DB_LOCK_TIMEOUT_MS="4000",
    )
    assert "-c statement_timeout=15000" in options
    assert "-c lock_timeout=4000" in options
    defaults = run_python(PRINT_OPTIONS, DATABASE_URL=PG)
    assert "statement_timeout=20000" in defaults and "lock_timeout=10000" in defaults


class HeldLock:
    """Another connection holding a lead's row lock (a long transaction)."""

    def __init__(self, lead, seconds=5):
        self.lead, self.seconds = lead, seconds
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with transaction.atomic():
                Lead.objects.select_for_update().get(pk=self.lead.pk)
                self.locked.set()
                self.release.wait(timeout=self.seconds)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(timeout=10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(timeout=10)


def _set(name, value):
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, false)", [name, value])


@on_postgresql
def test_locked_row_gives_the_busy_page_not_a_500(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, subject="Before")
    _set("lock_timeout", "200ms")
    with HeldLock(lead):
        response = rep_client.post(
            reverse("leads:edit", args=[lead.pk]),
            {
                "subject": "After",
                "last_name": lead.last_name,
                "preferred_contact_method": "1",
                "rating": "2",
            },
        )
    assert response.status_code == 503
    assert "Nothing was saved" in response.content.decode()
    assert response["Retry-After"]
    lead.refresh_from_db()
    assert lead.subject == "Before"


@on_postgresql
def test_healthz_reports_the_database_slow_while_queries_wait_on_locks(
    client, settings
):
    lead = factories.LeadFactory()
    settings.LEADSITE_HEALTHZ_LOCK_WAIT_SECONDS = 0
    waiter_done = threading.Event()

    def wait_for_the_lock():
        try:
            with transaction.atomic():
                Lead.objects.select_for_update().get(pk=lead.pk)
        finally:
            waiter_done.set()
            connections.close_all()

    with HeldLock(lead):
        waiter = threading.Thread(target=wait_for_the_lock)
        waiter.start()
        body = {}
        for _ in range(50):
            body = client.get(reverse("healthz")).json()
            if body.get("database") == "slow":
                break
            time.sleep(0.1)
        assert body == {"status": "degraded", "database": "slow", "lock_waits": 1}
    waiter.join(timeout=10)
    assert client.get(reverse("healthz")).json()["database"] == "ok"
