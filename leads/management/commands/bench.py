"""Server-side timings of the main pages, each beside the raw SQL the page runs.

    python manage.py bench [--runs 7] [--user admin]

Prints JSON: for each page, the median wall time through the Django test client, the
median time of re-running the exact SQL the page issued (the floor the database sets),
and the page's query count. Writes (qualification) run inside a transaction that is
rolled back, so the data set is left as it was.
"""

import json
import statistics
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from leads.models import Lead, LeadState


class _Rollback(Exception):
    pass


def _median_ms(samples):
    return round(statistics.median(samples) * 1000, 2)


def _time_sql(queries, runs):
    """Median time of replaying the captured SELECTs with a raw cursor."""
    selects = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")
    ]
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in selects:
                cursor.execute(sql)
                cursor.fetchall()
        samples.append(time.perf_counter() - start)
    return _median_ms(samples)


class Command(BaseCommand):
    help = "Time the lead list, lead detail, source report and qualification (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=7)
        parser.add_argument(
            "--user", default="admin", help="Username to view pages as."
        )

    def handle(self, *args, runs, user, **options):
        try:
            viewer = User.objects.get(username=user)
        except User.DoesNotExist as exc:
            raise CommandError(
                f"No user {user!r}: run `manage.py seed_demo` first."
            ) from exc
        client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
        client.force_login(viewer)
        lead = Lead.objects.order_by("-created_at").first()
        if lead is None:
            raise CommandError("No leads: run `manage.py seed_demo --leads N` first.")
        results = {
            "leads": Lead.objects.count(),
            "database": connection.vendor,
            "viewer": viewer.username,
            "runs": runs,
            "pages": {},
        }
        pages = {
            "lead_list": "/leads/?view=open",
            "lead_list_search": "/leads/?view=all&q=smith",
            "lead_list_filtered": "/leads/?view=all&source=8&rating=1&sort=-estimated_value",
            "lead_detail": f"/leads/{lead.pk}/",
            "source_report": "/reports/sources/",
        }
        for name, url in pages.items():
            results["pages"][name] = self._bench_get(client, url, runs)
        results["pages"]["qualification"] = self._bench_qualify(viewer, runs)
        from leads.management.bench_routing import bench_routing  # issue 9

        results["routing"] = bench_routing(viewer=viewer, runs=runs)
        self.stdout.write(json.dumps(results, indent=2))

    def _bench_get(self, client, url, runs):
        client.get(url)  # warm caches and connections
        samples, queries = [], []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(url)
                samples.append(time.perf_counter() - start)
            queries = ctx.captured_queries
        return {
            "url": url,
            "status": response.status_code,
            "median_ms": _median_ms(samples),
            "sql_median_ms": _time_sql(queries, runs),
            "queries": len(queries),
        }

    def _bench_qualify(self, viewer, runs):
        try:
            from leads.services.qualification import qualify_lead
        except ImportError:
            return {"skipped": "qualification service not available"}
        candidates = list(
            Lead.objects.filter(state=LeadState.OPEN).order_by("-created_at")[:runs]
        )
        samples, counts = [], []
        for lead in candidates:
            try:
                with transaction.atomic():
                    with CaptureQueriesContext(connection) as ctx:
                        start = time.perf_counter()
                        qualify_lead(lead=lead, by=viewer)
                        samples.append(time.perf_counter() - start)
                    counts.append(len(ctx.captured_queries))
                    raise _Rollback
            except _Rollback:
                pass
            except ValidationError:
                continue  # a lead whose data cannot be qualified as it stands
        if not samples:
            return {"skipped": "no open leads"}
        return {"median_ms": _median_ms(samples), "queries": max(counts)}
