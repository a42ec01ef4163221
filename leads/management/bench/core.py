"""Timing: N runs of one request after warm-up, with its queries and a SQL floor."""

import statistics
import time
from contextlib import nullcontext

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_fsm_log.models import StateLog

from accounts.models import Account, Contact, Opportunity, Team, User
from accounts.permissions import business_unit_subtree_ids
from leads.models import (
    Lead,
    LeadAssignment,
    RoutingRule,
    SourceReportDay,
    SourceReportDirty,
    SourceReportHistogram,
)
from leads.reports.summary import refresh_source_summary
from leadsite.core.planning import planned_for_their_values


class _Rollback(Exception):
    pass


def _ms(seconds):
    return round(seconds * 1000, 2)


# The CPU calibration: a fixed pure-Python loop (no database, no allocation to
# speak of), timed CALIBRATION_RUNS times at the start and at the end of a bench
# run; its median says how fast the shared CPU ran then, so that runs on a slow
# spell and on a fast one can be compared (README, Performance).
CALIBRATION_LOOP = 300_000
CALIBRATION_RUNS = 7


def _calibration_loop():
    total = 0
    for i in range(CALIBRATION_LOOP):
        total += i * i % 7
    return total


def calibrate() -> float:
    """Median ms of CALIBRATION_RUNS runs of the fixed loop."""
    samples = []
    for _ in range(CALIBRATION_RUNS):
        start = time.perf_counter()
        _calibration_loop()
        samples.append(time.perf_counter() - start)
    return _ms(statistics.median(samples))


def with_floor_ratio(result):
    """The result with `floor_ratio`: median_ms / floor_ms (how many times the SQL
    floor the page takes; null without a floor or a median)."""
    median, floor = result.get("median_ms"), result.get("floor_ms")
    ratio = round(median / floor, 1) if median and floor else None
    return {**result, "floor_ratio": ratio}


def summarise(samples):
    """(median, p95) in ms; p95 by linear interpolation (the max for few runs)."""
    ordered = sorted(samples)
    if len(ordered) == 1:
        return _ms(ordered[0]), _ms(ordered[0])
    p95 = statistics.quantiles(ordered, n=20, method="inclusive")[18]
    return _ms(statistics.median(ordered)), _ms(p95)


class Bench:
    """Logged-in clients per role and the measuring loop every scenario uses."""

    def __init__(self, *, runs, warmup, usernames):
        self.runs, self.warmup = runs, warmup
        self.users = {
            role: User.objects.get(username=name) for role, name in usernames.items()
        }
        self.clients = {}
        for role, user in self.users.items():
            client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
            client.force_login(user)
            self.clients[role] = client
        manager = self.users["manager"]
        self.manager_units = business_unit_subtree_ids(manager.business_unit_id)
        rep = self.users["rep"]
        self.rep_teams = list(rep.teams.values_list("pk", flat=True)) or [0]

    def get(self, role, url, *, floor=None, expect=200, unprepared_floor=False):
        """unprepared_floor: the floor's statements planned for their values each
        run, as the page plans a search (leadsite.core.planning)."""
        client = self.clients[role]
        result = self.measure(
            lambda: client.get(url), floor, expect, unprepared_floor=unprepared_floor
        )
        return {"url": url, **result}

    def post(self, role, url, data, *, floor=None, expect=302):
        """A POST in a transaction rolled back after each run: data stays as it was."""
        client = self.clients[role]

        def run():
            try:
                with transaction.atomic():
                    response = client.post(url, data)
                    run.response = response
                    raise _Rollback
            except _Rollback:
                return run.response

        return {"url": url, **self.measure(run, floor, expect)}

    def measure(self, request, floor, expect, *, unprepared_floor=False):
        for _ in range(self.warmup):
            self._check(request(), expect)
        samples, sql, counts = [], [], []
        for _ in range(self.runs):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = request()
                samples.append(time.perf_counter() - start)
            self._check(response, expect)
            queries = ctx.captured_queries
            counts.append(len(queries))
            sql.append(sum(float(q["time"]) for q in queries))
        median, p95 = summarise(samples)
        return {
            "median_ms": median,
            "p95_ms": p95,
            "queries": max(counts),
            "sql_ms": _ms(statistics.median(sql)),
            "floor_ms": self.floor(floor, unprepared=unprepared_floor)
            if floor
            else None,
        }

    def floor(self, statements, *, unprepared=False):
        """Median time of the hand-written SQL (list of (sql, params)) that gives
        the page's rows and counts, run on the same connection."""
        samples = []
        for i in range(self.warmup + self.runs):
            start = time.perf_counter()
            planning = planned_for_their_values() if unprepared else nullcontext()
            with planning, connection.cursor() as cursor:
                for sql, params in statements:
                    cursor.execute(sql, params)
                    cursor.fetchall()
            if i >= self.warmup:
                samples.append(time.perf_counter() - start)
        return _ms(statistics.median(samples))

    @staticmethod
    def _check(response, expect):
        if response.status_code != expect:
            raise AssertionError(
                f"{response.request['PATH_INFO']} answered {response.status_code}, "
                f"expected {expect}"
            )


# Tables the bench's rolled-back writes leave dead rows in: routing and qualify
# (leads, their history and log, the new account, contact and opportunity with
# theirs, the transition log), the sessions the clients log in with; and the source
# report's summary, which a report read after a bulk load rewrites...
def _written_models():
    audited = [Lead, Account, Contact, Opportunity]
    return [
        *audited,
        *(model.history.model for model in audited),
        LeadAssignment,
        StateLog,
        Session,
        SourceReportDay,
        SourceReportHistogram,
    ]


# ...and small tables that a bulk run rewrites thousands of times: the rules (every
# routing moves a round-robin turn), the teams and the source report's marks (written
# by triggers, consumed by the report). VACUUM leaves their emptied pages in place,
# and every later routing read all of them (a table of a few rules grew to many
# pages, and routing slowed with it); VACUUM FULL rewrites them at their real size.
def _rewritten_models():
    return [RoutingRule, Team, SourceReportDirty]


def vacuum_written_tables():
    """Reclaim what the bench's rolled-back writes leave behind (PostgreSQL, outside
    a transaction): seconds taken, else None.

    With autovacuum off, or before it comes round, every later run pays for the
    dead versions (those of the bulk routing slowed every list run after it; see
    README, Performance). Run before the scenarios and after the bulk routing, as
    autovacuum would in production, where no rollback of 10,000 routings bloats
    the small tables.

    The source report's summary is brought up to date first, as the report's
    readers keep it on a live system: after a bulk load (seed_demo) the first read
    rewrites the summary rows, and until a vacuum marks them visible the all-time
    report cannot read them from its covering index (see README, Performance)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    refresh_source_summary()

    def names(models):
        return ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)

    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (FULL, ANALYZE) {names(_rewritten_models())}")
        cursor.execute(f"VACUUM (ANALYZE) {names(_written_models())}")
    return round(time.perf_counter() - start, 1)


def in_list(values):
    """'(%s, %s, ...)' for an IN clause and its params."""
    return "(" + ", ".join(["%s"] * len(values)) + ")", list(values)
