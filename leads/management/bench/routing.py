"""Routing: one lead through 20 rules (route), and 10,000 leads routed in one bulk
run (route_bulk_10k), both rolled back (leads/management/bench_routing.py). The
service is timed directly: routing has no page of its own to wait for; a new lead
is routed inside the create request."""

from leads.management.bench import RESULT_KEYS, scenario
from leads.management.bench_routing import bench_route, bench_route_bulk


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
