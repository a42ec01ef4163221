"""Routing scenarios for `manage.py bench`: one lead through 20 rules (route),
10,000 leads through the bulk routing service (in rolled-back runs of 500), and a
CSV import of new rows routed by the same rules (import_routed, rows a second). Everything,
rules included, is written inside transactions that are rolled back, so the data set
is left as it was; on PostgreSQL the dead row versions the bulk runs leave behind
are vacuumed afterwards. The service is timed directly: routing has no page of its
own to wait for; a new lead is routed inside the create request."""

import itertools
import statistics
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Team
from leads.management.bench import RESULT_KEYS, scenario
from leads.management.bench.core import summarise, vacuum_written_tables
from leads.models import ImportStatus, Lead, LeadState, RoutingRule
from leads.services.imports import (
    check_import_file,
    create_import_batch,
    process_import,
    set_import_options,
    start_import,
)
from leads.services.routing import bulk_route_leads, route_lead
from leadsite.core.services import service_context

RULES = 20
BULK = 10_000
# Rows of the routed import scenario.
IMPORT_ROWS = 1_000
# Leads per rolled-back run of the bulk scenario (see bench_route_bulk).
CHUNK = 500


class _Rollback(Exception):
    pass


def _rules(viewer):
    """19 rules that never match, then a catch-all team rule (the 20th), written
    directly like demo data (in the scenario's rolled-back transaction)."""
    with service_context("bench"):
        return _write_rules(viewer)


def _write_rules(viewer):
    team = Team.objects.filter(members__isnull=False).first()
    for i in range(RULES - 1):
        RoutingRule.objects.create(
            name=f"bench never {i}",
            order=i,
            conditions=[{"field": "country", "op": "equals", "value": f"Nowhere {i}"}],
            target_user=viewer,
        )
    if team is None:
        return RoutingRule.objects.create(
            name="bench all", order=999, target_user=viewer
        )
    return RoutingRule.objects.create(
        name="bench all", order=999, target_team=team, target_user=None
    )


def _open_leads(count):
    return list(Lead.objects.filter(state=LeadState.OPEN).order_by("-id")[:count])


def bench_route(*, viewer, runs):
    samples, counts, sql = [], [], []
    try:
        with transaction.atomic():
            RoutingRule.objects.update(is_active=False)
            _rules(viewer)
            leads = _open_leads(runs + 1)
            if not leads:
                return {"skipped": "no open leads"}
            route_lead(lead=leads[0], by=viewer)  # warm up
            for lead in itertools.islice(itertools.cycle(leads), runs):
                with CaptureQueriesContext(connection) as ctx:
                    start = time.perf_counter()
                    route_lead(lead=lead, by=viewer)
                    samples.append(time.perf_counter() - start)
                counts.append(len(ctx.captured_queries))
                sql.append(sum(float(q["time"]) for q in ctx.captured_queries))
            raise _Rollback
    except _Rollback:
        pass
    median, p95 = summarise(samples)
    return {
        "rules": RULES,
        "median_ms": median,
        "p95_ms": p95,
        "queries": max(counts),
        "sql_ms": round(statistics.median(sql) * 1000, 2),
    }


def bench_route_bulk(*, viewer, count=BULK, chunk=CHUNK):
    """`count` open leads through bulk_route_leads, in rolled-back runs of `chunk`
    leads (the same 20 rules in each), timed together.

    In production bulk_route_leads commits every lead on its own. Run as one
    transaction, all 10,000 routings would update the round-robin rule's row
    10,000 times without a commit, and every later routing would step over the
    row versions the earlier ones left (the time per lead grew with each one; see
    README, Performance): the total then measured the rollback, not the routing."""
    leads = _open_leads(count)
    if len(leads) < count:
        return {
            "skipped": f"needs {count:,} open leads, found {len(leads):,} "
            "(seed_demo --leads 30000 or more)"
        }
    elapsed = 0.0
    for start in range(0, count, chunk):
        try:
            with transaction.atomic():
                RoutingRule.objects.update(is_active=False)
                _rules(viewer)
                began = time.perf_counter()
                bulk_route_leads(leads=leads[start : start + chunk], by=viewer)
                elapsed += time.perf_counter() - began
                raise _Rollback
        except _Rollback:
            pass
    return {
        "rules": RULES,
        "leads": count,
        "chunk": chunk,
        "total_s": round(elapsed, 2),
        "per_lead_ms": round(elapsed / count * 1000, 3),
        "vacuum_s": vacuum_written_tables(),
    }


@scenario("route")
def route(bench):
    result = bench_route(viewer=bench.users["admin"], runs=max(bench.runs, 21))
    return {**dict.fromkeys(RESULT_KEYS), **result}


@scenario("route_bulk_10k")
def route_bulk_10k(bench):
    result = bench_route_bulk(viewer=bench.users["admin"])
    if "skipped" in result:
        return {**dict.fromkeys(RESULT_KEYS), "note": result["skipped"]}
    total_ms = round(result["total_s"] * 1000, 1)
    return {
        **dict.fromkeys(RESULT_KEYS),
        "median_ms": total_ms,
        "p95_ms": total_ms,
        **result,
    }


def _import_file(rows):
    lines = ["First Name,Last Name,Company,Email,Country"]
    lines += [
        f"Bench{i},Import{i},Bench Co {i},bench.import.{i}@example.invalid,US"
        for i in range(rows)
    ]
    return SimpleUploadedFile(
        "bench.csv", "\n".join(lines).encode(), content_type="text/csv"
    )


def bench_import_routed(*, viewer, rows=IMPORT_ROWS):
    """A CSV of `rows` new leads imported by the worker's code (process_import, its
    chunks and their routing by the same 20 rules), in one rolled-back
    transaction; the stored file is deleted after."""
    elapsed, batch = 0.0, None
    try:
        with transaction.atomic():
            RoutingRule.objects.update(is_active=False)
            _rules(viewer)
            batch = create_import_batch(upload=_import_file(rows), by=viewer)
            batch = check_import_file(batch_id=batch.pk)
            set_import_options(
                batch=batch,
                by=viewer,
                mapping=batch.mapping,
                duplicate_mode=batch.duplicate_mode,
                fills=batch.fills,
            )
            start_import(batch=batch, by=viewer)
            with CaptureQueriesContext(connection) as ctx:
                began = time.perf_counter()
                done = process_import(batch_id=batch.pk)
                elapsed = time.perf_counter() - began
            counts = (done.status, done.created_count)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        if batch is not None:
            batch.file.storage.delete(batch.file.name)
    if counts != (ImportStatus.DONE, rows):
        return {"error": f"import ended as {counts!r}"}
    return {
        "rules": RULES,
        "rows": rows,
        "total_s": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed, 1),
        "queries_per_row": round(len(ctx.captured_queries) / rows, 2),
        "vacuum_s": vacuum_written_tables(),
    }


@scenario("import_routed")
def import_routed(bench):
    result = bench_import_routed(viewer=bench.users["admin"])
    total_ms = round(result.get("total_s", 0) * 1000, 1) or None
    return {
        **dict.fromkeys(RESULT_KEYS),
        "median_ms": total_ms,
        "p95_ms": total_ms,
        **result,
    }
