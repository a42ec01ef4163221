#!/usr/bin/env python3
"""HTTP throughput of LeadSite through gunicorn, on this machine only.

    .venv/bin/python scripts/load.py [--generator wrk|python] [--clients 16]
        [--seconds 10] [--workers 4] [--user manager --password leadsite]
        [--pages /leads/?view=open LEAD] [--url http://127.0.0.1:8100]

Starts gunicorn (gunicorn.conf.py) on a free port of 127.0.0.1 unless --url names
a running server (e.g. `make cluster`'s nginx) and logs in once. Then, with the
default generator wrk (an independent load generator: apt-get install -y wrk), for
each page (by default the lead list and a lead page) and each number of clients
(default 16), wrk sends GETs with the session's cookie over one keep-alive
connection per client for --seconds. With --generator python, this script's own
threads send the --pages in turn instead (default 1, 4 and 16 clients, the lead
list, a lead page and the source report; at most --max-requests a level).
Prints requests per second, p50 and p95 latency and errors per level, then stops
the server it started. Only loopback addresses are accepted as targets.
"""

import argparse
import http.client
import ipaddress
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/leads/?view=open", "LEAD", "/reports/sources/"]
WRK_PAGES = ["/leads/?view=open", "LEAD"]
# wrk's summary in one line (its --latency table has no 95th percentile); any answer
# but 200 (a redirect to the login page too) counts as an error.
WRK_REPORT = """
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args) not_ok = 0 end
response = function(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end
done = function(summary, latency, requests)
  local e, bad = summary.errors, 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("not_ok") end
  io.write(string.format("LEADSITE %d %d %d %d %d %d\\n", summary.requests,
    summary.duration, e.connect + e.read + e.write + e.timeout, bad,
    latency:percentile(50), latency:percentile(95)))
end
"""


def loopback_only(url):
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    sys.exit(f"refusing {url}: only loopback addresses (127.0.0.0/8, ::1) are targets")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port, workers):
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESSLOG": ""}
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "leadsite.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    sys.exit("gunicorn did not answer /healthz within 60 s")


class Session:
    """Cookies of one logged-in user, shared by every client."""

    def __init__(self, host, port):
        self.host, self.port, self.cookies = host, port, {}

    def connection(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, connection, method, path, body=None, headers=None):
        headers = {
            "Host": f"{self.host}:{self.port}" if self.port != 80 else self.host,
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **(headers or {}),
        }
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def login(self, username, password):
        connection = self.connection()
        status, page = self.request(connection, "GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token:
            sys.exit(f"no login form (HTTP {status})")
        body = urllib.parse.urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1).decode(),
            }
        )
        status, _ = self.request(
            connection,
            "POST",
            "/login/",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{self.host}:{self.port}/login/",
            },
        )
        if status != 302:
            sys.exit(f"login as {username} failed (HTTP {status}): seed_demo first?")
        status, page = self.request(connection, "GET", "/leads/?view=open")
        lead = re.search(rb'href="(/leads/\d+/)"', page)
        if not lead:
            sys.exit("the lead list shows no lead: seed_demo first")
        return lead.group(1).decode()


def run_level(session, paths, clients, seconds, max_requests):
    latencies, errors, lock = [], [0], threading.Lock()
    sent = [0]
    stop_at = time.monotonic() + seconds

    def client(offset):
        connection = session.connection()
        i = offset
        while time.monotonic() < stop_at:
            with lock:
                if sent[0] >= max_requests:
                    return
                sent[0] += 1
            path = paths[i % len(paths)]
            i += 1
            start = time.perf_counter()
            try:
                status, _ = session.request(connection, "GET", path)
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
                connection = session.connection()
            elapsed = time.perf_counter() - start
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] if ordered else 0
    return {
        "clients": clients,
        "requests": len(ordered),
        "errors": errors[0],
        "req_s": len(ordered) / wall if wall else 0,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else 0,
        "p95_ms": p95 * 1000,
    }


def run_wrk(session, path, clients, seconds):
    """One wrk run against one page; the same result as run_level."""
    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_REPORT)
        script.flush()
        output = subprocess.run(
            ["wrk", f"-t{min(2, clients)}", f"-c{clients}", f"-d{seconds:g}s",
             "--timeout", "30s", "-s", script.name, "-H", f"Cookie: {cookie}",
             f"http://{session.host}:{session.port}{path}"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
    line = next(x for x in output.splitlines() if x.startswith("LEADSITE "))
    requests, duration_us, failed, bad_status, p50, p95 = map(int, line.split()[1:])
    return {
        "clients": clients,
        "requests": requests - bad_status,
        "errors": failed + bad_status,
        "req_s": requests / (duration_us / 1e6) if duration_us else 0,
        "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server on loopback")
    parser.add_argument("--generator", choices=["wrk", "python"], default="wrk")
    parser.add_argument("--clients", type=int, nargs="+")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=20, help="requests first")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--user", default="manager")
    parser.add_argument("--password", default="leadsite")
    parser.add_argument(
        "--pages",
        nargs="+",
        help="paths (LEAD: a lead page); wrk: each on its own, default "
        f"{WRK_PAGES}; python: in turn, default {PAGES}",
    )
    args = parser.parse_args()
    wrk = args.generator == "wrk"
    if wrk and not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk (or --generator python)")
    args.clients = args.clients or ([16] if wrk else [1, 4, 16])
    args.pages = args.pages or (WRK_PAGES if wrk else PAGES)
    if args.seconds > 120 or args.max_requests > 20_000 or max(args.clients) > 64:
        sys.exit(
            "bounded on purpose: --seconds <= 120, --max-requests <= 20000, "
            "--clients <= 64"
        )
    process = None
    if args.url:
        loopback_only(args.url)
        parts = urllib.parse.urlsplit(args.url)
        host, port = parts.hostname, parts.port or 80
    else:
        host, port = "127.0.0.1", free_port()
        process = start_server(port, args.workers)
    try:
        session = Session(host, port)
        lead = session.login(args.user, args.password)
        paths = [lead if p == "LEAD" else p for p in args.pages]
        run_level(session, paths, 2, 30, args.warmup)
        print(
            f"{args.generator}: {', '.join(paths)} (as {args.user}); "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        print(
            f"{'page':<24} {'clients':>7} {'requests':>8} {'errors':>6} "
            f"{'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}"
        )
        for group in [[p] for p in paths] if wrk else [paths]:
            for clients in args.clients:
                if wrk:
                    r = run_wrk(session, group[0], clients, args.seconds)
                else:
                    r = run_level(
                        session, group, clients, args.seconds, args.max_requests
                    )
                page = group[0] if wrk else "(in turn)"
                print(
                    f"{page:<24} {r['clients']:>7} {r['requests']:>8} "
                    f"{r['errors']:>6} {r['req_s']:>7.1f} {r['p50_ms']:>7.0f} "
                    f"{r['p95_ms']:>7.0f}"
                )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
