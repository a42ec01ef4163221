"""Outbound webhooks against a real HTTP receiver (http.server in a thread, no
mocks): the outbox written with the change, signatures checked with the
standardwebhooks reference verifier, retries with one event id, a worker killed
mid-delivery, scope, the address guard, pausing and rotation.

The worker is django-tasks-db's, run in the test (tests/task_worker.py)."""

import datetime
import io
import json
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook, WebhookVerificationError

from accounts import services as account_services
from accounts.models import OpportunityStatus
from leads.models import LeadStatus
from leads.services import lifecycle, merge, qualification
from leadsite.core.events import EVENT_TYPES, emit
from tests import factories
from tests.import_helpers import csv_upload, latest_batch, start, upload
from tests.support import BASE_DIR, clean_env, on_postgresql
from tests.task_worker import DATABASE_TASKS, queued_tasks, run_queued_tasks
from webhooks import sending, tasks
from webhooks.models import (
    AttemptOutcome,
    Delivery,
    DeliveryStatus,
    Event,
    PauseReason,
    Subscription,
)
from webhooks.services.outbox import fan_out_events
from webhooks.services.subscriptions import (
    create_subscription,
    replay_delivery,
    resume_subscription,
    rotate_secret,
)

PASS = "webhooks.tasks.deliver_webhooks"


# --- a real receiver -------------------------------------------------------------------


@dataclass
class Received:
    headers: dict
    body: bytes

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """An HTTP server on 127.0.0.1 in a thread. It records every POST and answers
    with the next status in `script` (then 200). While `hold` is clear, a request
    waits for it before answering (a slow receiver)."""

    def __init__(self):
        self.requests: list[Received] = []
        self.script: list[tuple[int, dict]] = []
        self.arrived = threading.Event()
        self.hold = threading.Event()
        self.hold.set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                outer.requests.append(Received(dict(self.headers.items()), body))
                status, headers = outer.script.pop(0) if outer.script else (200, {})
                outer.arrived.set()
                outer.hold.wait(10)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "8")
                self.end_headers()
                self.wfile.write(b"received")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/leadsite"

    def ids(self) -> list[str]:
        return [request.headers["webhook-id"] for request in self.requests]

    def close(self):
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def queue(settings):
    """The database queue as production runs it; local receivers allowed; retries
    due at once (base 0 s) unless a test says otherwise."""
    settings.TASKS = DATABASE_TASKS
    settings.LEADSITE_WEBHOOKS_ALLOW_PRIVATE = True
    settings.LEADSITE_WEBHOOKS_RETRY_BASE_SECONDS = 0
    settings.LEADSITE_WEBHOOKS_TIMEOUT = 5


def _subscribe(owner, url, events=EVENT_TYPES, **kwargs):
    return create_subscription(by=owner, url=url, events=list(events), **kwargs)


def _verify(subscription, request: Received) -> dict:
    """The reference verifier (standardwebhooks) on the body and headers as
    received."""
    return Webhook(subscription.secret).verify(request.body, request.headers)


# --- the outbox and the signature -----------------------------------------------------


def test_signature_verifies_with_the_reference_verifier(
    queue, receiver, administrator, rep, django_capture_on_commit_callbacks
):
    subscription = _subscribe(administrator, receiver.url, ["lead.updated"])
    lead = factories.LeadFactory(owner_user=rep, subject="Old")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=lead, by=rep, subject="New topic")
    assert queued_tasks() == [PASS]
    assert receiver.requests == []  # the change only queued the work
    run_queued_tasks()
    [request] = receiver.requests
    payload = _verify(subscription, request)
    assert payload["type"] == "lead.updated"
    assert payload["data"]["id"] == lead.pk
    assert payload["data"]["subject"] == "New topic"
    assert payload["data"]["status_label"] == "New"
    event = Event.objects.get()
    assert request.headers["webhook-id"] == event.message_id
    assert event.message_id.startswith("msg_")
    assert request.headers["Content-Type"] == "application/json"
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
    tampered = request.body.replace(b"New topic", b"Bad topic")
    with pytest.raises(WebhookVerificationError):
        _verify(subscription, Received(request.headers, tampered))
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.SUCCEEDED,
        1,
        200,
    )
    assert delivery.last_duration_ms is not None


def test_one_transaction_with_many_events_queues_one_pass(
    queue, administrator, rep, django_capture_on_commit_callbacks
):
    _subscribe(administrator, "https://hooks.example.com/leadsite")
    leads = [factories.LeadFactory(owner_user=rep) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            for lead in leads:
                lifecycle.update_lead(lead=lead, by=rep, subject="Changed")
    assert Event.objects.count() == 3
    assert queued_tasks() == [PASS]


def test_nothing_is_written_while_nobody_subscribes(rep):
    lead = factories.LeadFactory(owner_user=rep)
    lifecycle.update_lead(lead=lead, by=rep, subject="Changed")
    assert not Event.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing(queue, receiver, org, administrator, rep):
    subscription = _subscribe(administrator, receiver.url, ["lead.updated"])
    lead = factories.LeadFactory(owner_user=rep, subject="Kept")
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            lifecycle.update_lead(lead=lead, by=rep, subject="Rolled back")
            assert Event.objects.count() == 1  # written with the change...
            raise RuntimeError("the request failed after the change")
    assert not Event.objects.exists()  # ...and gone with it
    assert queued_tasks() == []
    tasks.run_pass()
    assert receiver.requests == []
    # The same change committed is sent, by the pass its commit queued.
    lifecycle.update_lead(lead=lead, by=rep, subject="Committed")
    assert queued_tasks() == [PASS]
    run_queued_tasks()
    [request] = receiver.requests
    assert _verify(subscription, request)["data"]["subject"] == "Committed"


@pytest.mark.django_db(transaction=True)
def test_a_commit_whose_wake_up_was_lost_is_sent_by_the_next_pass(
    queue, receiver, org, administrator, rep
):
    """The process died between commit and queueing the pass: the event waits in
    the outbox, and any later pass (cron's `deliver_webhooks`) sends it."""
    _subscribe(administrator, receiver.url, ["lead.updated"])
    lead = factories.LeadFactory(owner_user=rep)
    lifecycle.update_lead(lead=lead, by=rep, subject="Committed")
    DBTaskResult.objects.all().delete()  # the wake-up never made it
    call_command("deliver_webhooks", stdout=io.StringIO())
    assert [r.payload["data"]["subject"] for r in receiver.requests] == ["Committed"]


# --- retries, one id --------------------------------------------------------------------


def test_a_receiver_failing_twice_gets_the_event_three_times_with_one_id(
    queue, receiver, administrator, rep, django_capture_on_commit_callbacks
):
    subscription = _subscribe(administrator, receiver.url, ["lead.updated"])
    receiver.script = [(500, {}), (503, {})]
    lead = factories.LeadFactory(owner_user=rep)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=lead, by=rep, subject="Retry me")
    run_queued_tasks()
    assert len(receiver.requests) == 3
    assert len(set(receiver.ids())) == 1
    for request in receiver.requests:
        assert _verify(subscription, request)["data"]["subject"] == "Retry me"
    assert len({r.body for r in receiver.requests}) == 1  # the same body each time
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 3)
    log = list(
        delivery.attempt_log.order_by("number").values_list("outcome", "status_code")
    )
    assert log == [
        (AttemptOutcome.FAILED, 500),
        (AttemptOutcome.FAILED, 503),
        (AttemptOutcome.SUCCEEDED, 200),
    ]
    subscription.refresh_from_db()
    assert subscription.failing_since is None
    assert subscription.last_success_at is not None


def test_retries_wait_longer_each_time_and_are_queued_for_their_time(
    queue, settings, receiver, administrator, rep, django_capture_on_commit_callbacks
):
    settings.LEADSITE_WEBHOOKS_RETRY_BASE_SECONDS = 10
    _subscribe(administrator, receiver.url, ["lead.updated"])
    receiver.script = [(500, {}), (500, {})]
    lead = factories.LeadFactory(owner_user=rep)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=lead, by=rep, subject="Later")
    waits = []
    for _ in range(2):
        run_queued_tasks()
        delivery = Delivery.objects.get()
        wait = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
        waits.append(wait)
        retry = DBTaskResult.objects.filter(
            task_path=PASS, status="READY", run_after=delivery.next_attempt_at
        )
        assert retry.exists(), "the retry is queued for its due time"
        # Time passes: the retry is due.
        past = timezone.now() - datetime.timedelta(seconds=1)
        Delivery.objects.update(next_attempt_at=past)
        retry.update(run_after=past)
    # The wait counts from the claim: backoff (base x 2^n, up to +10 %) plus the
    # attempt's own time between claim and record (seconds on a busy machine).
    slack = 5
    assert 10 <= waits[0] <= 11 + slack
    assert 20 <= waits[1] <= 22 + slack
    assert waits[1] > waits[0]
    run_queued_tasks()
    assert len(receiver.requests) == 3
    assert Delivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_a_delivery_gives_up_after_the_last_attempt_and_can_be_sent_again(
    queue, settings, receiver, administrator, rep, django_capture_on_commit_callbacks
):
    settings.LEADSITE_WEBHOOKS_MAX_ATTEMPTS = 2
    _subscribe(administrator, receiver.url, ["lead.updated"])
    receiver.script = [(500, {}), (500, {})]
    lead = factories.LeadFactory(owner_user=rep)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=lead, by=rep, subject="Gives up")
    run_queued_tasks()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)
    replay_delivery(delivery=delivery, by=administrator)
    tasks.wake()
    run_queued_tasks()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 3)
    assert len(set(receiver.ids())) == 1 and len(receiver.requests) == 3


# --- a worker killed mid-delivery ----------------------------------------------------------


def test_a_worker_killed_mid_delivery_loses_nothing(
    queue, receiver, administrator, rep, monkeypatch, django_capture_on_commit_callbacks
):
    """The receiver got the request, then the worker died before writing down the
    answer: the pass queued for the end of its hold sends the same event again."""
    subscription = _subscribe(administrator, receiver.url, ["lead.updated"])
    lead = factories.LeadFactory(owner_user=rep)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=lead, by=rep, subject="Survives")

    def worker_killed(**kwargs):
        raise SystemExit("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(tasks, "record_attempt", worker_killed)
        run_queued_tasks(allow_failures=True)
    assert len(receiver.requests) == 1
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.locked_until > timezone.now()  # held: no second sender yet
    tasks.run_pass()
    assert len(receiver.requests) == 1
    # The pass that takes over was queued when the delivery was claimed.
    takeover = DBTaskResult.objects.filter(task_path=PASS, status="READY")
    assert takeover.get().run_after > delivery.locked_until
    # The hold runs out.
    past = timezone.now() - datetime.timedelta(seconds=1)
    Delivery.objects.update(locked_until=past)
    takeover.update(run_after=past)
    run_queued_tasks()
    assert len(receiver.requests) == 2
    assert len(set(receiver.ids())) == 1
    assert _verify(subscription, receiver.requests[1])["data"]["subject"] == "Survives"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    outcomes = list(
        delivery.attempt_log.order_by("number").values_list("outcome", flat=True)
    )
    assert outcomes == [AttemptOutcome.INTERRUPTED, AttemptOutcome.SUCCEEDED]


@on_postgresql
def test_a_db_worker_process_killed_mid_request_loses_nothing(
    queue, receiver, org, administrator, rep
):
    """`manage.py db_worker` in its own process, killed (SIGKILL) while the receiver
    holds its request: once the hold runs out, the pass it left queued sends the
    same event (same id) again."""
    subscription = _subscribe(administrator, receiver.url, ["lead.updated"])
    lead = factories.LeadFactory(owner_user=rep)
    lifecycle.update_lead(lead=lead, by=rep, subject="Killed mid-request")
    assert queued_tasks() == [PASS]
    receiver.hold.clear()
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}"
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload"],
        cwd=BASE_DIR,
        env=clean_env(
            DATABASE_URL=url,
            LEADSITE_WEBHOOKS_ALLOW_PRIVATE="true",
            LEADSITE_WEBHOOKS_TIMEOUT="30",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert receiver.arrived.wait(60), "the worker never sent the request"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    receiver.hold.set()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.attempt_log.get().outcome == AttemptOutcome.SENDING
    # The hold runs out; the pass queued for it is due.
    past = timezone.now() - datetime.timedelta(seconds=1)
    Delivery.objects.update(locked_until=past)
    takeover = DBTaskResult.objects.filter(task_path=PASS, status="READY")
    assert takeover.exists()
    takeover.update(run_after=past)
    run_queued_tasks()
    assert len(receiver.requests) == 2 and len(set(receiver.ids())) == 1
    assert _verify(subscription, receiver.requests[1])["data"]["id"] == lead.pk
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    outcomes = list(
        delivery.attempt_log.order_by("number").values_list("outcome", flat=True)
    )
    assert outcomes == [AttemptOutcome.INTERRUPTED, AttemptOutcome.SUCCEEDED]


# --- scope --------------------------------------------------------------------------------


def test_a_record_outside_the_owners_scope_never_reaches_their_subscription(
    queue,
    receiver,
    administrator,
    manager,
    rep,
    rep2,
    django_capture_on_commit_callbacks,
):
    """The manager (North) hears of North's lead only; the administrator of both."""
    managers = _subscribe(manager, receiver.url + "?who=manager", ["lead.updated"])
    admins = _subscribe(administrator, receiver.url + "?who=admin", ["lead.updated"])
    north = factories.LeadFactory(owner_user=rep)
    south = factories.LeadFactory(owner_user=rep2)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=north, by=rep, subject="North news")
        lifecycle.update_lead(lead=south, by=rep2, subject="South news")
    run_queued_tasks()
    heard = {}
    for request in receiver.requests:
        for subscription in (managers, admins):
            try:
                payload = _verify(subscription, request)
            except WebhookVerificationError:
                continue
            heard.setdefault(subscription.owner.username, set()).add(
                payload["data"]["id"]
            )
    assert heard == {"manager": {north.pk}, "administrator": {north.pk, south.pk}}
    assert not Delivery.objects.filter(subscription=managers, event__object_id=south.pk)


def test_a_record_that_left_the_scope_before_sending_is_skipped(
    queue, receiver, manager, rep, rep2, django_capture_on_commit_callbacks
):
    subscription = _subscribe(manager, receiver.url, ["lead.updated", "lead.routed"])
    lead = factories.LeadFactory(owner_user=rep)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=lead, by=rep, subject="Was North's")
    assert fan_out_events() == 1  # the manager saw it when it was fanned out
    lifecycle.assign_lead(lead=lead, by=rep, owner_user=rep2)  # now South's
    run_queued_tasks()
    assert receiver.requests == []
    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.status == DeliveryStatus.SKIPPED
    assert "outside what the subscription's owner may see" in delivery.last_error


def test_a_rep_may_not_subscribe(rep):
    with pytest.raises(PermissionDenied):
        _subscribe(rep, "https://hooks.example.com/x")


# --- what each service announces -------------------------------------------------------


def _types():
    return list(Event.objects.order_by("id").values_list("type", flat=True))


def _body(event_type):
    return json.loads(Event.objects.filter(type=event_type).latest("id").body)


def test_each_service_announces_its_event(administrator, rep):
    _subscribe(administrator, "https://hooks.example.com/leadsite")
    lead = lifecycle.create_lead(by=rep, subject="Fresh", last_name="Doe")
    assert _types() == ["lead.created", "lead.routed"]
    lifecycle.update_lead(lead=lead, by=rep, subject="Fresher")
    lifecycle.disqualify_lead(lead=lead, by=rep, reason=LeadStatus.LOST)
    lifecycle.reactivate_lead(lead=lead, by=rep)
    result = qualification.qualify_lead(lead=lead, by=rep, create_account=False)
    master = factories.LeadFactory(owner_user=rep)
    duplicate = factories.LeadFactory(owner_user=rep)
    merge.merge_leads(master=master, subordinate=duplicate, by=rep, field_values={})
    opportunity = result.opportunity
    account_services.win_opportunity(
        opportunity=opportunity,
        by=rep,
        actual_value=Decimal("1200.00"),
        actual_close_date=datetime.date.today(),
    )
    other = factories.OpportunityFactory(owner_user=rep)
    account_services.lose_opportunity(
        opportunity=other, by=rep, reason=OpportunityStatus.OUT_SOLD
    )
    assert _types() == [
        "lead.created",
        "lead.routed",
        "lead.updated",
        "lead.disqualified",
        "lead.reactivated",
        "lead.qualified",
        "lead.merged",
        "opportunity.won",
        "opportunity.lost",
    ]
    assert _body("lead.qualified")["data"]["qualifying_opportunity"] == opportunity.pk
    merged = _body("lead.merged")
    assert (merged["data"]["id"], merged["master"]) == (duplicate.pk, master.pk)
    won = _body("opportunity.won")["data"]
    assert (won["id"], won["actual_value"], won["status_label"]) == (
        opportunity.pk,
        "1200.00",
        "Won",
    )
    routed = _body("lead.routed")
    assert routed["trigger"] == "form" and routed["data"]["owner_user"] == rep.pk


def test_an_import_announces_its_leads_and_its_end(
    settings, administrator, manager_client
):
    settings.TASKS = DATABASE_TASKS
    _subscribe(administrator, "https://hooks.example.com/leadsite")
    upload(manager_client, csv_upload("subject,lastname\nA,One\nB,Two\n"))
    batch = start(manager_client, latest_batch())
    assert _types().count("lead.created") == 2
    finished = _body("import.finished")["data"]
    assert (finished["id"], finished["status"], finished["created_count"]) == (
        batch.pk,
        "done",
        2,
    )


def test_an_unknown_event_type_is_a_programming_error(rep):
    with pytest.raises(ValueError):
        emit("lead.exploded", factories.LeadFactory(owner_user=rep))


# --- the address guard ------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
    ],
)
def test_the_guard_refuses_non_public_addresses(address):
    host = f"[{address}]" if ":" in address else address
    sent = sending.post(
        url=f"http://{host}:9/hook",
        body="{}",
        message_id="msg_test",
        secrets=["whsec_" + "A" * 43 + "="],
        timeout=1,
        allow_private=False,
        now=timezone.now(),
    )
    assert not sent.ok
    assert "not a public address" in sent.error


def test_the_guard_lets_public_addresses_through():
    assert not sending._not_public("8.8.8.8")
    assert not sending._not_public("2606:4700:4700::1111")


def test_with_the_setting_off_a_local_receiver_gets_nothing(
    queue, settings, receiver, administrator, rep, django_capture_on_commit_callbacks
):
    _subscribe(administrator, receiver.url, ["lead.updated"])
    settings.LEADSITE_WEBHOOKS_ALLOW_PRIVATE = False
    lead = factories.LeadFactory(owner_user=rep)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=lead, by=rep, subject="Not for localhost")
    settings.LEADSITE_WEBHOOKS_MAX_ATTEMPTS = 1
    run_queued_tasks()
    assert receiver.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "127.0.0.1, which is not a public address" in delivery.last_error


def test_a_host_name_that_resolves_to_loopback_is_refused():
    sent = sending.post(
        url="http://localhost:9/hook",
        body="{}",
        message_id="msg_test",
        secrets=["whsec_" + "A" * 43 + "="],
        timeout=1,
        allow_private=False,
        now=timezone.now(),
    )
    assert not sent.ok and "not a public address" in sent.error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "ftp://hooks.example.com/x",
        "javascript:alert(1)",
        "https:///nohost",
    ],
)
def test_subscribing_a_local_or_odd_url_is_refused(administrator, url):
    with pytest.raises(ValidationError) as refused:
        _subscribe(administrator, url)
    assert "url" in refused.value.message_dict


def test_redirects_are_not_followed(
    queue, settings, receiver, administrator, rep, django_capture_on_commit_callbacks
):
    settings.LEADSITE_WEBHOOKS_MAX_ATTEMPTS = 1
    target = Receiver()
    try:
        receiver.script = [(302, {"Location": target.url})]
        _subscribe(administrator, receiver.url, ["lead.updated"])
        lead = factories.LeadFactory(owner_user=rep)
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.update_lead(lead=lead, by=rep, subject="Moved?")
        run_queued_tasks()
        assert target.requests == []
    finally:
        target.close()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error


def test_a_slow_receiver_times_out(
    queue, settings, receiver, administrator, rep, django_capture_on_commit_callbacks
):
    settings.LEADSITE_WEBHOOKS_TIMEOUT = 0.3
    settings.LEADSITE_WEBHOOKS_MAX_ATTEMPTS = 1
    receiver.hold.clear()
    _subscribe(administrator, receiver.url, ["lead.updated"])
    lead = factories.LeadFactory(owner_user=rep)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=lead, by=rep, subject="Slow")
    run_queued_tasks()
    receiver.hold.set()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "No answer within 0.3 s."


# --- a day of failures pauses; resume sends what waited ------------------------------


def test_a_subscription_failing_for_a_day_is_paused_and_its_owner_told(
    queue, receiver, administrator, rep, mailoutbox, django_capture_on_commit_callbacks
):
    administrator.email = "admin@example.com"
    administrator.save()
    subscription = _subscribe(administrator, receiver.url, ["lead.updated"])
    lead = factories.LeadFactory(owner_user=rep)
    receiver.script = [(500, {})]
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=lead, by=rep, subject="First")
    run_queued_tasks()  # fails once, then succeeds: not paused
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.failing_since is None

    receiver.script = [(500, {})] * 3
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=lead, by=rep, subject="Second")
    # The receiver has failed since yesterday.
    Subscription.objects.filter(pk=subscription.pk).update(
        failing_since=timezone.now() - datetime.timedelta(hours=25)
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.pause_reason == PauseReason.FAILING
    [mail] = mailoutbox
    assert mail.to == ["admin@example.com"]
    assert "paused" in mail.subject and receiver.url in mail.body
    pending = Delivery.objects.get(status=DeliveryStatus.PENDING)
    assert len(receiver.requests) == 3  # 2 for First, 1 for Second; then paused

    # Paused: new events are kept, nothing is sent.
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=lead, by=rep, subject="Third")
    run_queued_tasks()
    assert len(receiver.requests) == 3

    receiver.script = []
    resume_subscription(subscription=subscription, by=administrator)
    tasks.wake()
    run_queued_tasks()
    subjects = [r.payload["data"]["subject"] for r in receiver.requests[3:]]
    assert sorted(subjects) == ["Second", "Third"]
    pending.refresh_from_db()
    assert pending.status == DeliveryStatus.SUCCEEDED


# --- secret rotation ---------------------------------------------------------------------


def test_after_rotation_both_secrets_verify_until_the_overlap_ends(
    queue, receiver, administrator, rep, django_capture_on_commit_callbacks
):
    subscription = _subscribe(administrator, receiver.url, ["lead.updated"])
    old = Subscription(secret=subscription.secret)
    rotated = rotate_secret(subscription=subscription, by=administrator)
    assert rotated.secret != old.secret
    lead = factories.LeadFactory(owner_user=rep)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=lead, by=rep, subject="Rotated")
    run_queued_tasks()
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    _verify(rotated, request)
    _verify(old, request)

    Subscription.objects.filter(pk=subscription.pk).update(
        previous_secret_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_lead(lead=lead, by=rep, subject="Only new")
    run_queued_tasks()
    request = receiver.requests[-1]
    _verify(rotated, request)
    with pytest.raises(WebhookVerificationError):
        _verify(old, request)


# --- the wake-up: queued in the change's transaction ------------------------------------


def test_the_pass_task_path_the_outbox_asks_about_is_the_passs(queue):
    from webhooks.services.outbox import PASS_TASK_PATH

    assert PASS_TASK_PATH == tasks.deliver_webhooks.module_path


def test_a_transaction_with_several_events_queues_one_pass_and_a_rollback_none(
    queue, receiver, administrator, rep
):
    _subscribe(administrator, receiver.url, ["lead.updated"])
    lead = factories.LeadFactory(owner_user=rep)
    with pytest.raises(RuntimeError), transaction.atomic():
        lifecycle.update_lead(lead=lead, by=rep, subject="Rolled back")
        raise RuntimeError
    assert queued_tasks() == []  # the wake-up went with the change
    with transaction.atomic():
        lifecycle.update_lead(lead=lead, by=rep, subject="First")
        lifecycle.update_lead(lead=lead, by=rep, subject="Second")
    assert queued_tasks() == [PASS]
    # A third change finds that pass queued and queues none of its own...
    lifecycle.update_lead(lead=lead, by=rep, subject="Third")
    assert queued_tasks() == [PASS]
    # ...and the pass sends all three.
    run_queued_tasks()
    subjects = [json.loads(r.body)["data"]["subject"] for r in receiver.requests]
    assert sorted(subjects) == ["First", "Second", "Third"]


def _a_query_waits_on_a_lock(*, until) -> bool:
    """Whether another connection's query comes to wait on a lock (PostgreSQL's
    own account, polled), before `until()` is true."""
    with connection.cursor() as cursor:
        while not until():
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                "'Lock' AND datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
    return False


@on_postgresql
def test_a_pass_that_starts_while_a_writer_is_open_waits_and_sends_its_event(
    queue, receiver, administrator, rep
):
    """The race the barrier closes: a change writes its event, finds a pass queued
    (so queues none), and has not committed when a worker starts that pass. The
    pass waits for the change's commit before it reads the outbox, and sends it."""
    _subscribe(administrator, receiver.url, ["lead.updated"])
    lead = factories.LeadFactory(owner_user=rep)
    tasks.deliver_webhooks.enqueue()  # the pass the writer will find queued
    written, release = threading.Event(), threading.Event()
    outcome = {}

    def writer():
        try:
            with transaction.atomic():
                lifecycle.update_lead(lead=lead, by=rep, subject="Late commit")
                written.set()
                release.wait(30)
        finally:
            connection.close()

    def worker():
        try:
            outcome["result"] = tasks.run_pass(seconds=30)
        finally:
            connection.close()

    writing = threading.Thread(target=writer)
    writing.start()
    assert written.wait(30)
    assert queued_tasks() == [PASS]  # the writer queued no pass of its own
    DBTaskResult.objects.update(status="RUNNING")  # a worker has claimed it
    working = threading.Thread(target=worker)
    working.start()
    assert _a_query_waits_on_a_lock(until=lambda: not working.is_alive()), (
        "the pass waits for the open writer"
    )
    assert working.is_alive()
    release.set()
    writing.join(30)
    working.join(30)
    assert outcome["result"].delivered == 1
    [request] = receiver.requests
    assert json.loads(request.body)["data"]["subject"] == "Late commit"
