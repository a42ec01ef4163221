"""Timing: N runs of one request after warm-up, with its queries and a SQL floor."""

import statistics
import time

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from leadsite.permissions import business_unit_subtree_ids


class _Rollback(Exception):
    pass


def _ms(seconds):
    return round(seconds * 1000, 2)


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

    def get(self, role, url, *, floor=None, expect=200):
        client = self.clients[role]
        return {"url": url, **self.measure(lambda: client.get(url), floor, expect)}

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

    def measure(self, request, floor, expect):
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
            "floor_ms": self.floor(floor) if floor else None,
        }

    def floor(self, statements):
        """Median time of the hand-written SQL (list of (sql, params)) that gives
        the page's rows and counts, run on the same connection."""
        samples = []
        for i in range(self.warmup + self.runs):
            start = time.perf_counter()
            with connection.cursor() as cursor:
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


def in_list(values):
    """'(%s, %s, ...)' for an IN clause and its params."""
    return "(" + ", ".join(["%s"] * len(values)) + ")", list(values)
