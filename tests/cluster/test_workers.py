"""Background work survives a killed worker: a db_worker killed (SIGKILL) in the
middle of an import or of a webhook delivery, and the other worker finishes it with
nothing lost and nothing done twice.

- Import: the batch's chunks commit one by one; the dead worker's batch stops
  reporting and the scheduler's `resume_stalled_imports` job (every minute, after
  the batch's STALE_SECONDS) queues it again; the other worker goes on after the
  last committed chunk.
- Webhooks: a claimed delivery is held for 2 × LEADSITE_WEBHOOKS_TIMEOUT + 30 s and
  a pass is queued for when the hold runs out; the other worker's pass marks the
  lost attempt interrupted and sends the same event again. "Nothing doubled" means:
  every event has one delivery, and that delivery one successful attempt (the log);
  a receiver may see the interrupted attempt's request too, with the same
  `webhook-id`, and deduplicates by it.
"""

import csv
import http.server
import io
import json
import os
import signal
import threading

from tests.cluster.conftest import CLUSTER_ENV, wait_for
from tests.cluster.test_cluster import Browser, query, unique, url

IMPORT_ROWS = 4000  # 8 chunks of 500: the kill lands after the first, before the last
EVENTS = 5


def running_task_worker(cluster, task_path):
    """The cluster's process name (worker1, worker2) running a task of that path."""
    rows = query(
        cluster,
        "primary",
        "SELECT worker_ids FROM django_tasks_database_dbtaskresult "
        "WHERE status = 'RUNNING' AND task_path = %s",
        [task_path],
    )
    workers = {worker_ids[-1].split("-")[0] for (worker_ids,) in rows}
    return workers.pop() if len(workers) == 1 else None  # none, or not yet sure


def kill(cluster, name):
    pid = cluster.pid(name)
    assert pid, f"{name} is not running"
    os.killpg(pid, signal.SIGKILL)
    wait_for(lambda: cluster.pid(name) is None, f"{name} to die", timeout=20)


BATCH_COLUMNS = [
    "status", "rows_done", "total_rows", "created_count", "updated_count",
    "skipped_count", "failed_count", "mapping", "fills",
]  # fmt: skip


def batch_row(cluster, pk):
    sql = (
        "SELECT status, rows_done, total_rows, created_count, updated_count, "
        "skipped_count, failed_count, mapping, fills "
        "FROM leads_importbatch WHERE id = %s"
    )
    row = query(cluster, "primary", sql, [pk])[0]
    return dict(zip(BATCH_COLUMNS, row, strict=True))


def csv_file(prefix, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["First Name", "Last Name", "Company", "Email", "Topic"])
    for number in range(rows):
        writer.writerow(
            [
                "Kim",
                f"{prefix}-{number}",
                f"Company {number}",
                f"{prefix.lower()}-{number}@example.com",
                "Imported in the cluster",
            ]
        )
    return out.getvalue().encode()


def test_a_worker_killed_mid_import_the_other_finishes_it_once(cluster):
    browser = Browser(cluster, "admin")
    prefix = unique("Imp")
    session = browser.session
    session.get(url(cluster, "nginx", "/leads/import/"), timeout=30)
    uploaded = session.post(
        url(cluster, "nginx", "/leads/import/"),
        files={"file": ("cluster.csv", csv_file(prefix, IMPORT_ROWS), "text/csv")},
        data={"csrfmiddlewaretoken": session.cookies.get("csrftoken", "")},
        allow_redirects=False,
        timeout=60,
    )
    assert uploaded.status_code == 302, uploaded.text[:2000]
    pk = int(uploaded.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    wait_for(
        lambda: batch_row(cluster, pk)["status"] == "mapping",
        "a worker to check the file",
    )
    batch = batch_row(cluster, pk)
    assert batch["total_rows"] == IMPORT_ROWS
    form = {f"col_{i}": target for i, target in batch["mapping"].items()}
    form.update({f"fill_{name}": text for name, text in batch["fills"].items()})
    form.update(
        duplicate_mode="skip",
        action="start",
        csrfmiddlewaretoken=session.cookies.get("csrftoken", ""),
    )
    started = session.post(
        url(cluster, "nginx", f"/leads/import/{pk}/"),
        data=form,
        allow_redirects=False,
        timeout=30,
    )
    assert started.status_code == 302, started.text[:2000]

    def mid_import():
        row = batch_row(cluster, pk)
        assert row["status"] != "done", "the import finished before the kill"
        return row["status"] == "running" and row["rows_done"] > 0

    wait_for(mid_import, "the import to be mid-way", timeout=120)
    worker = running_task_worker(cluster, "leads.tasks.run_import")
    kill(cluster, worker)
    try:
        killed_at = batch_row(cluster, pk)["rows_done"]
        assert 0 < killed_at < IMPORT_ROWS
        # The batch's STALE_SECONDS (60) and the scheduler's minute, then the rest.
        wait_for(
            lambda: batch_row(cluster, pk)["status"] == "done",
            "the other worker to finish the import",
            timeout=240,
        )
        batch = batch_row(cluster, pk)
        assert (
            batch["rows_done"],
            batch["created_count"],
            batch["updated_count"],
            batch["skipped_count"],
            batch["failed_count"],
        ) == (IMPORT_ROWS, IMPORT_ROWS, 0, 0, 0)
        counts = query(
            cluster,
            "primary",
            "SELECT count(*), count(DISTINCT last_name) FROM leads_lead "
            "WHERE last_name LIKE %s",
            [prefix + "-%"],
        )[0]
        assert tuple(counts) == (IMPORT_ROWS, IMPORT_ROWS)  # none lost, none twice
        import_rows = query(
            cluster,
            "primary",
            "SELECT count(*), count(DISTINCT line) FROM leads_importrow "
            "WHERE batch_id = %s",
            [pk],
        )[0]
        assert tuple(import_rows) == (IMPORT_ROWS, IMPORT_ROWS)
        # The killed worker's task is closed as lost, the one that finished is not.
        tasks = query(
            cluster,
            "primary",
            "SELECT status, exception_class_path FROM "
            "django_tasks_database_dbtaskresult WHERE task_path = %s "
            "ORDER BY enqueued_at",
            ["leads.tasks.run_import"],
        )
        assert [tuple(task) for task in tasks][-2:] == [
            ("FAILED", "leads.exceptions.WorkerLost"),
            ("SUCCESSFUL", ""),
        ]
        progress = browser.get("nginx", f"/leads/import/{pk}/")
        assert progress.status_code == 200
        assert f"{IMPORT_ROWS:,}" in progress.text or str(IMPORT_ROWS) in progress.text
    finally:
        cluster.restart()
    assert cluster.pid(worker)


class Receiver:
    """A webhook receiver on a free local port: answers 204 and notes each request's
    webhook-id and body. The first request it gets waits (its delivery is in
    flight) until released, or until just before the sender's timeout."""

    def __init__(self, stall_seconds):
        self.received, self.stalled, self.lock = [], None, threading.Lock()
        self.arrived, self.release = threading.Event(), threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"] or 0))
                message_id = self.headers["webhook-id"]
                with receiver.lock:
                    receiver.received.append((message_id, json.loads(body)))
                    first = receiver.stalled is None
                    if first:
                        receiver.stalled = message_id
                if first:
                    receiver.arrived.set()
                    receiver.release.wait(timeout=stall_seconds)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def api(browser, method, path, payload=None):
    return browser.session.request(
        method,
        url(browser.cluster, "nginx", path),
        json=payload,
        headers={"X-CSRFToken": browser.session.cookies.get("csrftoken", "")},
        timeout=30,
    )


def test_a_worker_killed_mid_delivery_the_other_delivers_each_event_once(cluster):
    browser = Browser(cluster, "admin")
    timeout = float(CLUSTER_ENV["LEADSITE_WEBHOOKS_TIMEOUT"])
    prefix = unique("Hook")
    with Receiver(stall_seconds=timeout - 1) as receiver:
        created = api(
            browser,
            "POST",
            "/api/webhooks",
            {"url": receiver.url, "events": ["lead.created"]},
        )
        assert created.status_code == 201, created.text
        subscription = created.json()["id"]
        try:
            _kill_mid_delivery(cluster, browser, receiver, subscription, prefix)
        finally:
            api(browser, "DELETE", f"/api/webhooks/{subscription}")
            cluster.restart()


def _event_ids(cluster, subscription):
    return query(
        cluster,
        "primary",
        "SELECT e.message_id, d.id, d.status FROM webhooks_delivery d "
        "JOIN webhooks_event e ON e.id = d.event_id WHERE d.subscription_id = %s",
        [subscription],
    )


def _kill_mid_delivery(cluster, browser, receiver, subscription, prefix):
    # The first event's delivery stalls in the receiver; the worker sending it dies.
    first = browser.create_lead("nginx", f"{prefix}-0")
    assert first.status_code == 201, first.text
    assert receiver.arrived.wait(timeout=60), "the delivery never reached the receiver"
    message_id = receiver.stalled
    worker = wait_for(
        lambda: running_task_worker(cluster, "webhooks.tasks.deliver_webhooks"),
        "the pass that is sending",
        timeout=10,
    )
    kill(cluster, worker)
    for number in range(1, EVENTS):
        response = browser.create_lead("nginx", f"{prefix}-{number}")
        assert response.status_code == 201, response.text

    def all_delivered():
        rows = _event_ids(cluster, subscription)
        return len(rows) == EVENTS and all(s == "succeeded" for *_, s in rows)

    # The hold (2 × timeout + 30 s) runs out, then the queued pass takes it over.
    wait_for(all_delivered, "every delivery to succeed", timeout=180)
    rows = _event_ids(cluster, subscription)
    events = {message for message, _, _ in rows}
    assert len(events) == EVENTS  # one delivery per event
    attempts = dict(
        query(
            cluster,
            "primary",
            "SELECT d.id, array_agg(a.outcome ORDER BY a.number) "
            "FROM webhooks_delivery d JOIN webhooks_attempt a ON a.delivery_id = d.id "
            "WHERE d.subscription_id = %s GROUP BY d.id",
            [subscription],
        )
    )
    stalled = next(d for m, d, _ in rows if m == message_id)
    assert attempts.pop(stalled) == ["interrupted", "succeeded"]
    assert set(map(tuple, attempts.values())) == {("succeeded",)}
    # The receiver got every event; the stalled one twice, under the same id.
    seen = [m for m, _ in receiver.received]
    assert set(seen) == events
    assert {m: seen.count(m) for m in events} == {
        m: 2 if m == message_id else 1 for m in events
    }
    names = {body["data"].get("last_name") for _, body in receiver.received}
    assert names == {f"{prefix}-{number}" for number in range(EVENTS)}
