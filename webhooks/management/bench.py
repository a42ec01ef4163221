"""`manage.py bench` scenario of the outbox: what writing an event adds to a lead
update (leads.management.bench loads this module by name)."""

import statistics
import time

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django_tasks_db.models import DBTaskResult

from leads.management.bench import scenario
from leads.management.bench.core import _Rollback, summarise
from leads.management.bench.detail import _reps_open_lead
from leads.models import Lead
from leads.services.lifecycle import update_lead
from leadsite.core import events
from webhooks.services.subscriptions import create_subscription
from webhooks.tasks import announce, deliver_webhooks

TITLES = ("Head of Fleet", "Fleet manager")
# off: no sink; queued: a delivery pass is already waiting (a busy system: the
# event is one statement); idle: none is (the first change after a quiet spell
# also queues the pass, a task row in the same transaction).
MODES = ("off", "queued", "idle")


def _timed_update(lead_pk, rep, run, *, idle):
    fresh = Lead.objects.get(pk=lead_pk)
    try:
        with transaction.atomic():
            if idle:
                DBTaskResult.objects.filter(
                    task_path=deliver_webhooks.module_path
                ).delete()
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
    return took, ctx.captured_queries


@scenario("event_write_overhead")
def event_write_overhead(bench):
    """A lead update through update_lead with the webhooks sink off, and on with
    one subscription (so the event is written) in the two cases above, in turn,
    each run rolled back. `overhead_ms`: the busy case's median minus the sink-off
    median; `idle_overhead_ms`: the quiet case's. Nothing of the event runs after
    the commit."""
    lead = _reps_open_lead(bench)
    rep, admin = bench.users["rep"], bench.users["admin"]
    samples = {mode: [] for mode in MODES}
    queries, sql = [], []
    try:
        with (
            transaction.atomic(),
            override_settings(LEADSITE_WEBHOOKS_ALLOW_PRIVATE=True),
        ):
            create_subscription(
                by=admin, url="http://127.0.0.1:9/bench", events=["lead.updated"]
            )
            deliver_webhooks.enqueue()
            for run in range(bench.warmup + bench.runs):
                for mode in MODES:
                    events.register_sink(
                        "webhooks", None if mode == "off" else announce
                    )
                    took, captured = _timed_update(
                        lead.pk, rep, run, idle=mode == "idle"
                    )
                    if run < bench.warmup:
                        continue
                    samples[mode].append(took)
                    if mode == "queued":
                        queries.append(len(captured))
                        sql.append(sum(float(q["time"]) for q in captured))
            raise _Rollback
    except _Rollback:
        pass
    finally:
        events.register_sink("webhooks", announce)
    medians = {mode: summarise(samples[mode]) for mode in MODES}
    return {
        "median_ms": medians["queued"][0],
        "p95_ms": medians["queued"][1],
        "queries": max(queries),
        "sql_ms": round(statistics.median(sql) * 1000, 2),
        "floor_ms": None,
        "without_events_ms": medians["off"][0],
        "overhead_ms": round(medians["queued"][0] - medians["off"][0], 2),
        "idle_overhead_ms": round(medians["idle"][0] - medians["off"][0], 2),
    }
