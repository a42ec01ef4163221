"""Demo data: an organisation, users with roles, a catalog, campaigns, accounts,
contacts and N leads with their timeline and qualification results.

    python manage.py seed_demo [--leads 2000] [--password leadsite] [--seed 42]

Idempotent: units, teams, users, products, campaigns and rules are looked up by name
before they are created, the demo accounts and contacts are topped up to their target
counts, and leads are topped up to N (a second run with the same N adds nothing).

Closed leads qualified or not by known effects (seeding/outcomes.py: referrals and
trade shows qualify more, leads without a phone number less, ...); once leads were
added, the lead scores are rebuilt here (the nightly rebuild_scores), before the
newest leads are routed (a demo rule sends leads scoring 60 or more to a senior
rep), so every open lead has its score when the app starts.

This module only orchestrates; the row builders live in leads/management/seeding/.
Lead rows are plain column dicts written per batch with COPY on PostgreSQL or
executemany on SQLite, every model constraint kept. The leads one run adds are
created in time order: creation dates rise with the id, as in a real table.
Memory does not grow with N: creation times stream from a generator and rows live
for one batch. A big load on PostgreSQL runs in one transaction with the plain
indexes and foreign keys of the tables it fills dropped and rebuilt at the end,
and the report triggers that would scan the whole lead table per batch disabled
(seeding/leads.py REDUNDANT_TRIGGERS: the leads' own trigger marks their days);
its rows are built by worker processes (seeding/parallel.py) while this process
writes them.
"""

import os
import random
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from leads.management.seeding import routing
from leads.management.seeding.catalog import build_base_accounts, build_catalog
from leads.management.seeding.consent import build_consent
from leads.management.seeding.context import SeedContext
from leads.management.seeding.emails import build_emails
from leads.management.seeding.leads import (
    REDUNDANT_TRIGGERS,
    loaded_tables,
    prepare_lead_rows,
    write_lead_batch,
)
from leads.management.seeding.organisation import LARGE_ORG_FROM, build_organisation
from leads.management.seeding.parallel import write_lead_batches
from leads.management.seeding.qualification import require_demo_steps
from leads.management.seeding.tables import (
    analyze,
    deferred_indexes,
    disabled_triggers,
)
from leads.management.seeding.values import build_pools, creation_times
from leads.models import Lead, RebuildStatus, ScoreRebuild
from leads.services.scoring import rebuild_scores, request_rebuild
from leadsite.core.services import service_context

# Past a few building processes the one writing connection is the limit (two
# built ten million leads' rows 1.6x faster than none on two cores).
MAX_WORKERS = 4
DEFER_INDEXES_FROM = 20_000  # leads added; below that, indexes are kept up to date
BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Create demo data (organisation, users, catalog, campaigns, accounts, leads)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--leads", type=int, default=2000, help="Total leads wanted."
        )
        parser.add_argument(
            "--password", default="leadsite", help="For every demo user."
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed.")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--org",
            choices=["auto", "small", "large"],
            default="auto",
            help="small: 3 business units, 2 teams, 9 users; large: 5 units, 20 "
            f"teams, 200 users (auto: large from {LARGE_ORG_FROM:,} leads).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes that build the lead rows of a deferred load while this "
            f"one writes them (default: one per CPU, at most {MAX_WORKERS}; 0: build "
            "here). Loads that "
            "keep their indexes are built here.",
        )
        parser.add_argument(
            "--defer-indexes",
            choices=["auto", "yes", "no"],
            default="auto",
            help="Drop the lead tables' plain indexes during the load and build them "
            "once at the end, all in one transaction (auto: when adding at least "
            f"{DEFER_INDEXES_FROM:,} leads, at least as many as there are, on "
            "PostgreSQL). "
            "Much faster for big loads, but the tables are locked until the load "
            "commits.",
        )

    def handle(
        self,
        *args,
        leads,
        password,
        seed,
        batch_size,
        org,
        defer_indexes,
        workers,
        **options,
    ):
        if leads < 0 or batch_size < 1 or (workers is not None and workers < 0):
            raise CommandError(
                "--leads and --workers must be >= 0 and --batch-size >= 1."
            )
        if workers is None:
            workers = min(os.cpu_count() or 1, MAX_WORKERS)
        started = time.perf_counter()
        rng = random.Random(seed)
        ctx = SeedContext(
            rng=rng, now=timezone.now(), pools=build_pools(seed), batch_seed=seed
        )
        large = org == "large" or (org == "auto" and leads >= LARGE_ORG_FROM)
        # The demo-data loader writes its rows directly (leadsite.core.services).
        with transaction.atomic(), service_context("seed_demo"):
            build_organisation(ctx, password=password, large=large)
            build_catalog(ctx)
            build_base_accounts(ctx)
            require_demo_steps()  # the stage bar's gates (seeding/qualification.py)
        prepare_lead_rows(ctx)
        existing = Lead.objects.count()
        missing = max(0, leads - existing)
        # From the seed alone, as each batch's rows (seeding/leads.py batch_rng).
        ctx.created_times = creation_times(
            random.Random(f"{seed}:times"), missing, now=ctx.now
        )
        if defer_indexes == "yes" or (
            # A rebuild costs in proportion to the whole table, keeping indexes up
            # costs more per added row (see README, Performance): rebuild when the
            # load at least doubles the table.
            # SQLite keeps its indexes: with foreign key indexes gone, each parent
            # row inserted while a deferred check is pending scans the child table.
            defer_indexes == "auto"
            and connection.vendor == "postgresql"
            and missing >= max(DEFER_INDEXES_FROM, existing)
        ):
            # One transaction: indexes are dropped, the leads go in, the indexes
            # are built again; an interrupted run rolls all of it back.
            with (
                transaction.atomic(),
                deferred_indexes(loaded_tables(ctx)),
                disabled_triggers(REDUNDANT_TRIGGERS),
            ):
                self._add_leads(
                    ctx,
                    missing,
                    existing=existing,
                    size=batch_size,
                    # Key blocks need the tables locked (PostgreSQL's DROP INDEX).
                    workers=workers if connection.vendor == "postgresql" else 0,
                )
                self.stdout.write("  building indexes...")
                indexing = time.perf_counter()
            self.stdout.write(
                f"  indexes built in {time.perf_counter() - indexing:.1f}s."
            )
        else:
            self._add_leads(ctx, missing, existing=existing, size=batch_size)
        if missing and not connection.in_atomic_block:
            # Planner statistics before the scores are rebuilt (autovacuum comes
            # later, if at all): without them its keyset over the open leads was
            # planned as for an empty table, 3 s a batch at ten million leads.
            analyze(loaded_tables(ctx))
        if missing or not ScoreRebuild.objects.filter(status=RebuildStatus.DONE):
            # Before the newest leads are routed: a demo rule reads the score.
            self._rebuild_scores()
        step = time.perf_counter()
        routing.route_recent(ctx, missing)
        with transaction.atomic(), service_context("seed_demo"):
            build_emails(ctx)  # templates and a few sent emails (seeding/emails.py)
            build_consent(ctx)  # purposes and some consents (seeding/consent.py)
        self.stdout.write(
            f"  routing, emails and consent in {time.perf_counter() - step:.1f}s."
        )
        if (
            missing
            and connection.vendor == "postgresql"
            and not connection.in_atomic_block
        ):
            # What autovacuum does on a live database: statistics for the planner and
            # a visibility map for index-only scans. Without them a freshly loaded
            # table is planned as tiny and every "index-only" count visits the heap.
            self.stdout.write("  vacuum analyze...")
            step = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")
            self.stdout.write(f"  vacuumed in {time.perf_counter() - step:.1f}s.")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {Lead.objects.count():,} leads "
                f"({missing:,} added in {elapsed:.1f}s); {len(ctx.users)} users, "
                f"{len(ctx.teams)} teams, {len(ctx.units)} business units."
            )
        )
        self.stdout.write(f"Demo logins (password: {password}):")
        shown = {"admin", "manager", "manager2", "rep", "rep2", "rep3", "rep4"}
        for username, _first, _last, role, unit, _team in ctx.people:
            if username in shown or len(ctx.people) < 20:
                extra = " (superuser)" if username == "admin" else ""
                self.stdout.write(f"  {username:<9} {role}{extra}, {unit}")

    def _rebuild_scores(self):
        """Recount the scoring tables and score every open lead (as the nightly
        rebuild does), here and now."""
        self.stdout.write("  scoring leads...")
        rebuild, _ = request_rebuild(by=None)
        started = time.perf_counter()
        if rebuild_scores(rebuild_id=rebuild.pk) is None:
            self.stdout.write(
                "  another score rebuild is running: scores come when it ends."
            )
            return
        rebuild.refresh_from_db()
        self.stdout.write(
            f"  {rebuild.closed_counted:,} closed leads counted, {rebuild.done:,} "
            f"open leads scored in {time.perf_counter() - started:.1f}s."
        )

    def _add_leads(self, ctx, missing, *, existing, size, workers=0):
        done = 0
        started = time.perf_counter()
        progress = Progress(self.stdout, total=missing, started=started)
        parallel = workers > 1 and missing > size
        if parallel:
            # Rows built in worker processes, written here (seeding/parallel.py).
            write_lead_batches(
                ctx,
                missing,
                existing=existing,
                size=size,
                workers=workers,
                progress=progress,
            )
        while not parallel and done < missing:
            batch = min(size, missing - done)
            # A batch is a transaction of its own, or part of the deferred load's
            # one (savepoint=False: PostgreSQL keeps the memory of every released
            # savepoint that ran a trigger until the transaction ends, about 4 MB a
            # batch of leads, 8 GB for ten million).
            with transaction.atomic(savepoint=False):
                write_lead_batch(ctx, batch, offset=existing + done)
            done += batch
            if missing > size:
                progress.show(done)
        progress.finish()
        built_by = f" (rows built by {workers} processes)" if parallel else ""
        self.stdout.write(
            f"  {missing:,} leads written in {time.perf_counter() - started:.1f}s"
            f"{built_by}."
        )


class Progress:
    """A progress bar redrawn in place on a terminal; on a pipe or file, a line
    every tenth of the way (logs stay short)."""

    def __init__(self, stdout, *, total, started):
        self.stdout, self.total, self.started = stdout, total, started
        self.tty = stdout.isatty() if hasattr(stdout, "isatty") else False
        self.next_line = 0.1
        self.drawn = False

    def show(self, done):
        elapsed = time.perf_counter() - self.started
        share = done / self.total
        rate = done / elapsed if elapsed else 0
        eta = (self.total - done) / rate if rate else 0
        filled = int(BAR_WIDTH * share)
        text = (
            f"  [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%} "
            f"{done:,} / {self.total:,} leads, {rate:,.0f}/s, {eta:,.0f}s left"
        )
        if self.tty:
            self.stdout.write(f"\r{text}", ending="")
            self.stdout.flush()
            self.drawn = True
        elif share >= self.next_line or done == self.total:
            self.stdout.write(text)
            self.next_line = share + 0.1

    def finish(self):
        if self.drawn:
            self.stdout.write("")
            sys.stdout.flush()
