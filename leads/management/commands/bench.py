"""Server-side timings of what users do, each beside a hand-written SQL floor.

    python manage.py bench [--runs 20] [--warmup 2] [--only KEY ...]

Prints one JSON object: "meta" (leads, database, runs, load average, and the CPU
calibration: a fixed Python loop's median ms at the start and the end) and one
entry per scenario key (leads/management/bench/, keys documented in README), each
with median_ms, p95_ms, queries, sql_ms, floor_ms and floor_ratio (median / floor).
Every page is the real request through the Django test client; writes (qualify)
are rolled back after each run, so the data set is left as it was.
"""

import json
import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.models import User
from leads.management import bench as scenarios
from leads.management.bench.core import (
    CALIBRATION_LOOP,
    CALIBRATION_RUNS,
    Bench,
    calibrate,
    vacuum_written_tables,
    with_floor_ratio,
)
from leads.models import Lead


class Command(BaseCommand):
    help = "Time every bench scenario through the real request (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=20)
        parser.add_argument("--warmup", type=int, default=2)
        parser.add_argument("--only", nargs="*", help="Scenario keys to run.")
        parser.add_argument("--rep", default="rep")
        parser.add_argument("--manager", default="manager")
        parser.add_argument("--admin", default="admin")

    def handle(self, *args, runs, warmup, only, rep, manager, admin, **options):
        registry = scenarios.load()
        unknown = set(only or []) - registry.keys()
        if unknown:
            raise CommandError(f"Unknown scenarios: {', '.join(sorted(unknown))}")
        usernames = {"rep": rep, "manager": manager, "admin": admin}
        missing = [u for u in usernames.values() if not User.objects.filter(username=u)]
        if missing or not Lead.objects.exists():
            raise CommandError(
                "Run `manage.py seed_demo --leads N` first "
                f"(missing users: {', '.join(missing) or 'none'})."
            )
        bench = Bench(runs=max(1, runs), warmup=max(0, warmup), usernames=usernames)
        calibration_start = calibrate()
        vacuum_s = vacuum_written_tables()
        started = time.perf_counter()
        results = {}
        for key, function in registry.items():
            if not only or key in only:
                try:
                    results[key] = with_floor_ratio(function(bench))
                except (AssertionError, LookupError) as error:
                    # One broken page must not hide the others' numbers.
                    results[key] = {
                        **dict.fromkeys(scenarios.RESULT_KEYS),
                        "error": str(error),
                    }
        results = {
            "meta": {
                "leads": Lead.objects.count(),
                "database": connection.vendor,
                "runs": bench.runs,
                "warmup": bench.warmup,
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "seconds": round(time.perf_counter() - started, 1),
                "vacuum_s": vacuum_s,
                "calibration": {
                    "loop": CALIBRATION_LOOP,
                    "runs": CALIBRATION_RUNS,
                    "start_ms": calibration_start,
                    "end_ms": calibrate(),
                },
            },
            **results,
        }
        self.stdout.write(json.dumps(results, indent=2))
