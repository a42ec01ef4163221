"""`manage.py bench`: every scenario timed through the request a user makes.

A scenario is one small function registered with @scenario("key"): it receives the
Bench (clients logged in as rep, manager and admin, the ids a floor needs) and
returns bench.get(...) / bench.post(...) / bench.measure(...), the numbers of one
page: median_ms and p95_ms of N runs after warm-up, queries, sql_ms (time spent
in the database, from Django's own query log) and floor_ms (the same answer from
hand-written SQL on the same connection; null where none is written); the
command adds floor_ratio (median_ms / floor_ms) and, in "meta", a CPU calibration
(core.calibrate: a fixed Python loop, at the start and the end). A feature
not built on this branch registers a placeholder() that says so with nulls.
Scenario modules: lists, detail, admin, reports, routing, api, scoring, board,
mass_update, duplicates (imported by load()).
"""

import importlib

SCENARIOS = {}  # key -> function, in registration order
MODULES = [
    "lists",
    "detail",
    "admin",
    "reports",
    "routing",
    "api",
    "scoring",
    "board",
    "mass_update",
    "duplicates",
]
# Scenarios of apps above this one, by name (this app imports none of them).
OTHER_MODULES = ["webhooks.management.bench"]
RESULT_KEYS = ["median_ms", "p95_ms", "queries", "sql_ms", "floor_ms", "floor_ratio"]
# The documented keys, in the order the JSON lists them (others follow).
KEYS = [
    "lead_list_mine",
    "lead_list_all_open_p1",
    "lead_list_all_open_p100",
    "lead_list_by_score",
    "lead_list_filtered",
    "lead_search_short",
    "lead_detail",
    "lead_detail_200_items",
    "qualify",
    "home_rep",
    "opportunities_list",
    "board",
    "admin_changelist",
    "admin_changelist_search",
    "report_all_time",
    "report_90_days",
    "route",
    "route_bulk_10k",
    "import_routed",
    "api_lead_list_p1",
    "api_lead_list_all_p1",
    "api_lead_list_p10000",
    "api_lead_retrieve",
    "api_qualify",
    "event_write_overhead",
    "update_with_rescore",
    "score_rebuild",
    "duplicate_check",
    "duplicate_check_fuzzy",
    "duplicate_scan",
    "mass_update",
]


def scenario(key):
    """Register `function(bench) -> result dict` under the stable JSON key `key`."""

    def register(function):
        SCENARIOS[key] = function
        return function

    return register


def placeholder(key, note):
    """Register a scenario whose feature is not on this branch: nulls and why."""

    @scenario(key)
    def not_built(bench):
        return {**dict.fromkeys(RESULT_KEYS), "note": note}

    return not_built


def load():
    for module in MODULES:
        importlib.import_module(f"leads.management.bench.{module}")
    for module in OTHER_MODULES:
        importlib.import_module(module)
    rank = {key: i for i, key in enumerate(KEYS)}
    return dict(sorted(SCENARIOS.items(), key=lambda item: rank.get(item[0], 99)))
