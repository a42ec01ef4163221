"""The scale-out picture end to end, through nginx and the app servers' own ports:
read-your-writes across servers, reports on the replica and off it when it lags or
stops, an app server killed under load, shared lockout and rate limits, and a
migration while both servers serve."""

import os
import signal
import subprocess
import threading
import uuid

import psycopg
import requests

from tests.cluster.conftest import REPO, wait_for

PASSWORD = "leadsite"
EXPORT = "/leads/export/?view=all"  # every lead the user may see, as CSV
MAIN_PAGES = [
    "/",
    "/leads/",
    "/leads/board/",
    "/reports/sources/",
    "/reports/scoring/",
    "/leads/export/",
    "/routing/",
    "/search/?q=a",
    "/healthz",
]


def url(cluster, server, path):
    return f"http://127.0.0.1:{cluster.ports[server]}{path}"


class Browser:
    """A requests session signed in as one demo user (cookies are per host, not
    per port, so one browser may talk to nginx and to either app server)."""

    def __init__(self, cluster, username, server="nginx"):
        self.cluster = cluster
        self.session = requests.Session()
        self.login(username, PASSWORD, server)

    def login(self, username, password, server):
        self.session.get(url(self.cluster, server, "/login/"), timeout=30)
        return self.session.post(
            url(self.cluster, server, "/login/"),
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.session.cookies.get("csrftoken", ""),
            },
            allow_redirects=False,
            timeout=30,
        )

    def get(self, server, path):
        return self.session.get(url(self.cluster, server, path), timeout=30)

    def create_lead(self, server, last_name, key=None):
        headers = {"X-CSRFToken": self.session.cookies.get("csrftoken", "")}
        if key:
            headers["Idempotency-Key"] = key
        return self.session.post(
            url(self.cluster, server, "/api/leads"),
            json={"subject": "Cluster test", "last_name": last_name, "source": 8},
            headers=headers,
            timeout=30,
        )


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def query(cluster, which, sql, params=()):
    """Rows of one query on the primary or the replica, straight from PostgreSQL."""
    dsn = f"host=127.0.0.1 port={cluster.ports[which]} user=postgres dbname=leadsite"
    with psycopg.connect(dsn, autocommit=True) as connection:
        return connection.execute(sql, params).fetchall()


def count_on(cluster, which, last_name):
    sql = "SELECT count(*) FROM leads_lead WHERE last_name = %s"
    return query(cluster, which, sql, [last_name])[0][0]


def replica_table_reads(cluster):
    return int(
        cluster.psql(
            "replica",
            "SELECT coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)"
            " FROM pg_stat_user_tables",
        )
    )


class ReplayPaused:
    def __init__(self, cluster):
        self.cluster = cluster

    def __enter__(self):
        self.cluster.psql("replica", "SELECT pg_wal_replay_pause()")

    def __exit__(self, *exc):
        self.cluster.psql("replica", "SELECT pg_wal_replay_resume()")


def test_a_lead_created_through_one_server_is_read_back_through_the_other(cluster):
    browser = Browser(cluster, "admin", server="app1")
    name = unique("Ryw")
    with ReplayPaused(cluster):
        created = browser.create_lead("app1", name)
        assert created.status_code == 201, created.text
        assert count_on(cluster, "replica", name) == 0  # the replica has not got it
        export = browser.get("app2", EXPORT)
        assert export.status_code == 200
        assert name in export.text
        assert browser.get("app2", "/leads/?q=" + name).status_code == 200


def test_report_and_export_reads_run_on_the_replica(cluster):
    browser = Browser(cluster, "admin")
    for path in ("/reports/sources/", EXPORT):
        before = replica_table_reads(cluster)

        def read_on_replica(path=path, before=before):
            assert browser.get("nginx", path).status_code == 200
            return replica_table_reads(cluster) > before

        wait_for(read_on_replica, f"{path} reading on the replica", timeout=40)


def test_a_lagging_replica_sends_reports_to_the_primary(cluster):
    reader = Browser(cluster, "admin")  # its last write is replayed long before
    writer = Browser(cluster, "manager")
    name = unique("Lag")
    with ReplayPaused(cluster):
        assert writer.create_lead("nginx", name).status_code == 201
        # Past the lag limit the reader's export comes from the primary: the lead
        # that the paused replica lacks is in it.
        wait_for(
            lambda: name in reader.get("nginx", EXPORT).text,
            "the export to fall back to the primary",
            timeout=60,
        )
        assert count_on(cluster, "replica", name) == 0


def test_with_the_replica_stopped_every_page_still_answers(cluster):
    browser = Browser(cluster, "admin")
    cluster.pg_stop("replica")
    try:
        for server in ("nginx", "app1", "app2"):
            for path in MAIN_PAGES:
                response = browser.get(server, path)
                assert response.status_code < 500, (server, path)
    finally:
        cluster.pg_start("replica")


def test_the_login_lockout_holds_across_both_app_servers(cluster):
    limit = 3  # AXES_FAILURE_LIMIT in the cluster's environment
    browser = requests.Session()
    attempt = Browser.login.__get__(type("B", (), {"cluster": cluster,
                                                   "session": browser})())  # fmt: skip
    for number in range(limit):
        server = ("app1", "app2")[number % 2]
        assert attempt("rep6", "wrong", server).status_code != 302
    refused = attempt("rep6", PASSWORD, "app2" if limit % 2 else "app1")
    assert refused.status_code in (403, 429), refused.status_code
    assert "sessionid" not in browser.cookies


def test_the_capture_rate_limit_holds_across_both_app_servers(cluster):
    limit = 4  # LEADSITE_CAPTURE_RATE_PER_IP in the cluster's environment
    token = cluster.psql("primary", "SELECT token FROM leads_captureform LIMIT 1")
    for _ in range(2):  # once more if a rate window ended during the first try
        window = int(
            cluster.psql("primary", "SELECT floor(extract(epoch FROM now()) / 60)")
        )
        statuses = []
        visitor = requests.Session()
        visitor.get(url(cluster, "app1", f"/capture/{token}/"), timeout=30)
        for number in range(limit + 1):
            server = ("app1", "app2")[number % 2]
            response = visitor.post(
                url(cluster, server, f"/capture/{token}/"),
                data={
                    "last_name": unique("Capture"),
                    "email": "c@example.com",
                    "csrfmiddlewaretoken": visitor.cookies.get("csrftoken", ""),
                },
                timeout=30,
            )
            statuses.append(response.status_code)
        same_window = window == int(
            cluster.psql("primary", "SELECT floor(extract(epoch FROM now()) / 60)")
        )
        if same_window:
            break
    assert 429 not in statuses[:limit] and statuses[limit] == 429, statuses


def test_an_app_server_killed_under_load_costs_no_write_and_no_duplicate(cluster):
    browser = Browser(cluster, "admin")
    prefix = unique("Kill")
    acknowledged, get_statuses = [], []
    enough_done = threading.Event()

    def kill_app1():
        enough_done.wait(timeout=60)
        os.killpg(cluster.pid("app1"), signal.SIGKILL)

    killer = threading.Thread(target=kill_app1)
    killer.start()
    try:
        for number in range(60):
            get_statuses.append(browser.get("nginx", "/leads/").status_code)
            name, key = f"{prefix}-{number}", uuid.uuid4().hex
            # A POST is never retried by nginx; the client retries it with the same
            # Idempotency-Key, so the server does it once.
            for _ in range(5):
                response = browser.create_lead("nginx", name, key=key)
                if response.status_code < 500:
                    break
            if response.status_code == 201:
                acknowledged.append(name)
            if number == 5:
                enough_done.set()
    finally:
        enough_done.set()
        killer.join()
    assert all(status < 500 for status in get_statuses), get_statuses
    assert len(acknowledged) == 60
    counts = dict(
        query(
            cluster,
            "primary",
            "SELECT last_name, count(*) FROM leads_lead "
            "WHERE last_name LIKE %s GROUP BY 1",
            [prefix + "-%"],
        )
    )
    assert {name: int(counts.get(name, 0)) for name in acknowledged} == {
        name: 1 for name in acknowledged
    }
    cluster.restart()
    assert cluster.pid("app1")


def test_migrate_on_the_primary_while_both_servers_serve(cluster):
    browser = Browser(cluster, "admin")
    statuses = []
    done = threading.Event()

    def serve():
        number = 0
        while not done.is_set() or number < 4:
            server = ("app1", "app2", "nginx")[number % 3]
            statuses.append(browser.get(server, MAIN_PAGES[number % 4]).status_code)
            number += 1

    reader = threading.Thread(target=serve)
    reader.start()
    try:
        subprocess.run(
            [str(REPO / ".venv/bin/python"), "manage.py", "migrate", "--noinput"],
            cwd=REPO,
            env=cluster.app_env(),
            check=True,
            capture_output=True,
        )
    finally:
        done.set()
        reader.join()
    assert statuses and all(status < 500 for status in statuses), statuses
