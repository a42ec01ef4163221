"""Requests the site cannot serve as sent get a page that says why, never a 500:
malformed or non-UTF-8 forms (400, nothing saved as U+FFFD), a locked or slow
database and a deadlock ("busy, try again", 503; /healthz says the database is
slow). CRM pages and files are never cached."""

import threading
import time

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import Account
from leads.models import Lead, Note
from leadsite.core.middleware import TransientDatabaseErrorMiddleware
from tests import factories
from tests.support import on_postgresql

MANY = 1200  # above DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000)


def _multipart(values: list[bytes]) -> bytes:
    parts = [
        b'--XX\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n%s\r\n' % (i, v)
        for i, v in enumerate(values)
    ]
    return b"".join(parts) + b"--XX--\r\n"


BODIES = {
    "urlencoded, not UTF-8, too many fields": (
        "&".join(f"f{i}=%ff%fe" for i in range(MANY)).encode(),
        "application/x-www-form-urlencoded",
    ),
    "urlencoded, too many fields": (
        "&".join(f"f{i}=x" for i in range(MANY)).encode(),
        "application/x-www-form-urlencoded",
    ),
    "multipart, not UTF-8, too many fields": (
        _multipart([b"\xff\xfe"] * MANY),
        "multipart/form-data; boundary=XX",
    ),
    "multipart, latin-1 declared, too many fields": (
        _multipart([b"caf\xe9"] * MANY),
        "multipart/form-data; boundary=XX; charset=latin-1",
    ),
}


@pytest.fixture
def web_form(org):
    return factories.CaptureFormFactory(business_unit=org.north)


@pytest.mark.parametrize("kind", BODIES)
@pytest.mark.parametrize("who", ["rep", "anonymous"])
def test_unreadable_form_is_a_400_page_that_says_why(kind, who, rep, web_form):
    client = Client(raise_request_exception=False)
    if who == "rep":
        client.force_login(rep)
        url = "/leads/new/"
    else:
        url = f"/capture/{web_form.token}/"
    body, content_type = BODIES[kind]
    response = client.generic("POST", url, body, content_type=content_type)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The form could not be read" in page
    assert "more than 1,000 fields" in page
    assert "Nothing was saved" in page


@pytest.mark.django_db
def test_invalid_utf8_in_a_form_is_refused(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    response = rep_client.generic(
        "POST",
        reverse("leads:add-note", args=["lead", lead.pk]),
        b"text=caf%E9+%FF%FE",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "not valid UTF-8" in response.content.decode()
    assert not Note.objects.exists()


@pytest.mark.django_db
def test_invalid_utf8_in_a_multipart_form_is_refused(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    body = (
        b'--B\r\nContent-Disposition: form-data; name="subject"\r\n\r\nbad \xff\xfe'
        b"\r\n--B--\r\n"
    )
    response = rep_client.generic(
        "POST",
        reverse("leads:edit", args=[lead.pk]),
        body,
        content_type="multipart/form-data; boundary=B",
    )
    assert response.status_code == 400
    assert "\ufffd" not in Lead.objects.get(pk=lead.pk).subject


@pytest.mark.django_db
def test_valid_utf8_is_kept(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    rep_client.post(
        reverse("leads:add-note", args=["lead", lead.pk]), {"text": "Café – 東京 ✓"}
    )
    assert Note.objects.get().text == "Café – 東京 ✓"


# --- no caching -------------------------------------------------------------------------


def _no_store(response):
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    return {"private", "no-store"} <= directives


@pytest.mark.django_db
def test_lead_list_detail_and_downloads_are_not_cached(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    attachment = factories.AttachmentFactory(lead=lead, created_by=rep)
    for url in (
        reverse("leads:list"),
        reverse("leads:detail", args=[lead.pk]),
        reverse("leads:download-attachment", args=[attachment.pk]),
        reverse("leads:source-report") + "?format=csv",
    ):
        response = rep_client.get(url)
        assert response.status_code == 200, url
        assert _no_store(response), url


# --- a locked or slow database, a deadlock -----------------------------------------------


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


def _real_deadlock() -> DatabaseError:
    """Two connections locking two rows in opposite order: PostgreSQL picks one."""
    a = factories.AccountFactory()
    b = factories.AccountFactory()
    barrier = threading.Barrier(2)
    errors = []

    def lock(first, second):
        try:
            with transaction.atomic():
                Account.objects.select_for_update().get(pk=first.pk)
                barrier.wait(timeout=10)
                Account.objects.select_for_update().get(pk=second.pk)
        except DatabaseError as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=lock, args=(a, b)),
        threading.Thread(target=lock, args=(b, a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    [error] = errors
    return error


@on_postgresql
def test_deadlock_answers_with_a_try_again_page():
    error = _real_deadlock()
    middleware = TransientDatabaseErrorMiddleware(lambda request: None)
    response = middleware.process_exception(RequestFactory().post("/"), error)
    assert response.status_code == 503
    assert "Nothing was saved" in response.content.decode()
