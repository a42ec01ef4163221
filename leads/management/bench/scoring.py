"""Lead-scoring scenarios for `manage.py bench`.

- score_rebuild: one full rebuild (leads.services.scoring.rebuild_scores, what the
  nightly `manage.py rebuild_scores` runs): seconds, closed leads counted, open
  leads rescored; the database time by statement kind (the grouped count, the
  keyset of ids, the leads' feature reads, the score upserts, the tables) with the
  rest (Python: scoring, JSON) beside it; and the process's resident memory
  sampled through the run, per tenth of it, to show whether memory stays flat
  while the batches go by. Run once (a rebuild of a million leads takes a while);
  it rewrites every open lead's score row as the nightly rebuild would (same
  scores, today's entry in their history) and vacuums the score tables after.
- update_with_rescore: a lead update through update_lead that changes a field the
  score reads (the rating) against the same update of a field it does not
  (the description), in turn, each run rolled back: `rescore_ms` is the difference
  of the medians, what the rescoring in the save adds.

Timed at the service: the rebuild has no page, and the update's page adds the
same form handling to both sides.
"""

import os
import statistics
import threading
import time

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from leads.management.bench import RESULT_KEYS, scenario
from leads.management.bench.core import _Rollback, summarise
from leads.management.bench.detail import _reps_open_lead
from leads.models import LeadRating, LeadScore, ScoreCount, ScoreRebuild
from leads.services.lifecycle import update_lead
from leads.services.scoring import rebuild_scores, request_rebuild, score_leads

SAMPLE_S = 0.2  # how often the memory sampler reads the resident set


def _rss_mb() -> float | None:
    """This process's resident memory now (Linux /proc), else None."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class _MemorySampler(threading.Thread):
    """(seconds since start, resident MB) every SAMPLE_S until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples, self.started = [], time.perf_counter()
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            rss = _rss_mb()
            if rss is not None:
                self.samples.append((time.perf_counter() - self.started, rss))
            self._stop_event.wait(SAMPLE_S)

    def stop(self):
        self._stop_event.set()
        self.join()

    def per_tenth(self, total_s):
        """The highest resident MB in each tenth of the run (None: no sample)."""
        tenths = [None] * 10
        for at, rss in self.samples:
            i = min(9, int(at / total_s * 10)) if total_s else 0
            tenths[i] = round(max(rss, tenths[i] or 0), 1)
        return tenths


def _kind(sql: str) -> str:
    """Which part of the rebuild a statement belongs to."""
    head = sql.lstrip()[:40].upper()
    scores = LeadScore._meta.db_table
    if head.startswith("INSERT") and scores in sql[:60]:
        return "score_upserts"
    if "UNION ALL" in sql:
        return "grouped_count"
    if ScoreCount._meta.db_table in sql[:200]:
        return "tables"
    if "feature_" in sql:
        return "lead_reads"
    if scores in sql:
        return "histories"
    if "leads_lead" in sql and head.startswith("SELECT"):
        return "open_lead_ids"
    return "other"


class _StatementTimer:
    """An execute wrapper that counts and times statements by _kind without keeping
    their text (a rebuild's upserts carry megabytes of parameters)."""

    def __init__(self):
        self.count, self.seconds, self.first = 0, {}, {}
        self.started = time.perf_counter()

    def __call__(self, execute, sql, params, many, context):
        kind = _kind(sql)
        start = time.perf_counter()
        self.first.setdefault(kind, start - self.started)
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds[kind] = self.seconds.get(kind, 0.0) + (
                time.perf_counter() - start
            )


def _vacuum_score_tables():
    """PostgreSQL: reclaim the rebuild's old row versions (as autovacuum would)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    tables = ", ".join(
        connection.ops.quote_name(m._meta.db_table) for m in (LeadScore, ScoreCount)
    )
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")
    return round(time.perf_counter() - start, 1)


def bench_rebuild() -> dict:
    """One full rebuild, timed, its statements profiled and its memory sampled."""
    rebuild, _ = request_rebuild(by=None)
    timer, sampler = _StatementTimer(), _MemorySampler()
    rss_before = _rss_mb()
    sampler.start()
    start = time.perf_counter()
    try:
        with connection.execute_wrapper(timer):
            finished = rebuild_scores(rebuild_id=rebuild.pk)
    finally:
        total = time.perf_counter() - start
        sampler.stop()
    if finished is None:
        return {"skipped": "another score rebuild is running"}
    done = ScoreRebuild.objects.get(pk=rebuild.pk)
    sql_s = sum(timer.seconds.values())
    peaks = [rss for _, rss in sampler.samples]
    return {
        "total_ms": round(total * 1000, 1),
        "total_s": round(total, 1),
        "closed_counted": done.closed_counted,
        "open_rescored": done.done,
        # Until the first score is written: the recount of the tables.
        "recount_s": round(timer.first.get("score_upserts", total), 1),
        "sql_s_by_kind": {k: round(v, 2) for k, v in sorted(timer.seconds.items())},
        "python_s": round(total - sql_s, 1),
        "queries": timer.count,
        "sql_ms": round(sql_s * 1000, 1),
        "rss_mb_before": round(rss_before, 1) if rss_before else None,
        "rss_mb_peak": round(max(peaks), 1) if peaks else None,
        "rss_mb_by_tenth": sampler.per_tenth(total),
        "vacuum_s": _vacuum_score_tables(),
    }


@scenario("score_rebuild")
def score_rebuild(bench):
    result = bench_rebuild()
    if "skipped" in result:
        return {**dict.fromkeys(RESULT_KEYS), "note": result["skipped"]}
    return {
        **dict.fromkeys(RESULT_KEYS),
        "median_ms": result["total_ms"],
        "p95_ms": result["total_ms"],
        **result,
    }


def _timed(function):
    """(seconds, queries) of `function()` run in a transaction rolled back after."""
    try:
        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            function()
            took = time.perf_counter() - start
            raise _Rollback
    except _Rollback:
        pass
    return took, ctx.captured_queries


@scenario("update_with_rescore")
def update_with_rescore(bench):
    """update_lead changing the rating (rescored in the save) and the description
    (not), in turn, each rolled back; plus score_leads of the one lead alone."""
    lead = _reps_open_lead(bench)
    rep = bench.users["rep"]
    rating = LeadRating.COLD if lead.rating == LeadRating.HOT else LeadRating.HOT
    description = "Bench: " + ("a" if lead.description != "Bench: a" else "b")

    def update(**fields):
        return lambda: update_lead(
            lead=lead, by=rep, expected_version=lead.version, **fields
        )

    cases = {
        "scored": update(rating=rating),
        "unscored": update(description=description),
        "score_only": lambda: score_leads([lead.pk]),
    }
    samples = {name: [] for name in cases}
    queries, sql = [], []
    for run in range(bench.warmup + bench.runs):
        order = list(cases) if run % 2 else list(reversed(cases))
        for name in order:
            took, captured = _timed(cases[name])
            if run < bench.warmup:
                continue
            samples[name].append(took)
            if name == "scored":
                queries.append(len(captured))
                sql.append(sum(float(q["time"]) for q in captured))
    medians = {name: summarise(samples[name]) for name in cases}
    return {
        "median_ms": medians["scored"][0],
        "p95_ms": medians["scored"][1],
        "queries": max(queries),
        "sql_ms": round(statistics.median(sql) * 1000, 2),
        "floor_ms": None,
        "without_rescore_ms": medians["unscored"][0],
        "rescore_ms": round(medians["scored"][0] - medians["unscored"][0], 2),
        "score_leads_one_ms": medians["score_only"][0],
    }
