"""`manage.py bench` scenario of the outbox: what writing an event adds to a lead
update (leads.management.bench loads this module by name)."""

import statistics
import time

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from leads.management.bench import scenario
from leads.management.bench.core import _Rollback, summarise
from leads.management.bench.detail import _reps_open_lead
from leads.models import Lead
from leads.services.lifecycle import update_lead
from leadsite.core import events
from webhooks.services.subscriptions import create_subscription
from webhooks.tasks import announce

TITLES = ("Head of Fleet", "Fleet manager")


@scenario("event_write_overhead")
def event_write_overhead(bench):
    """A lead update through update_lead with the webhooks sink on (one
    subscription exists, so the event is written) and off, alternately, each run
    rolled back; `overhead_ms` is the difference of the medians. Nothing of the
    event runs after the commit (its wake-up, when one is needed, is a task row in
    the same transaction)."""
    lead = _reps_open_lead(bench)
    rep, admin = bench.users["rep"], bench.users["admin"]
    samples = {True: [], False: []}
    queries, sql = [], []
    try:
        with (
            transaction.atomic(),
            override_settings(LEADSITE_WEBHOOKS_ALLOW_PRIVATE=True),
        ):
            create_subscription(
                by=admin, url="http://127.0.0.1:9/bench", events=["lead.updated"]
            )
            for run in range(bench.warmup + bench.runs):
                for sink_on in (True, False):
                    events.register_sink(announce if sink_on else None)
                    fresh = Lead.objects.get(pk=lead.pk)
                    try:
                        with transaction.atomic():
                            with CaptureQueriesContext(connection) as ctx:
                                start = time.perf_counter()
                                update_lead(
                                    lead=fresh,
                                    by=rep,
                                    expected_version=fresh.version,
                                    job_title=TITLES[run % 2],
                                )
                                took = time.perf_counter() - start
                            raise _Rollback
                    except _Rollback:
                        pass
                    if run >= bench.warmup:
                        samples[sink_on].append(took)
                        if sink_on:
                            queries.append(len(ctx.captured_queries))
                            sql.append(
                                sum(float(q["time"]) for q in ctx.captured_queries)
                            )
            raise _Rollback
    except _Rollback:
        pass
    finally:
        events.register_sink(announce)
    with_median, with_p95 = summarise(samples[True])
    without_median, _ = summarise(samples[False])
    overhead = round(with_median - without_median, 2)
    return {
        "median_ms": with_median,
        "p95_ms": with_p95,
        "queries": max(queries),
        "sql_ms": round(statistics.median(sql) * 1000, 2),
        "floor_ms": None,
        "without_events_ms": without_median,
        "overhead_ms": overhead,
    }
