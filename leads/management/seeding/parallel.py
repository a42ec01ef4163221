"""Lead batches built in worker processes and written by this one.

Building a batch's rows is Python (about two thirds of a big load's first phase);
writing them is COPY on the one connection whose transaction holds the load. So
the workers (forked: they inherit the prepared context and never touch the
database) build, and this process reserves the keys, hands out the batches and
writes what comes back, in order. At most WINDOW_PER_WORKER batches per worker
are in flight, so memory stays flat however many leads are added.

Keys come in blocks (Table.reserve_block), one per table and batch: a batch of
n leads gets n lead keys and n account, contact and opportunity keys, of which
it uses one per qualified lead (the rest stay a gap in the sequence). Each batch
draws from its own generator (leads.batch_rng), so the leads of a run do not
depend on the number of workers.
"""

import multiprocessing
from collections import deque
from itertools import islice

from django.db import transaction

from accounts.models import Account, Contact, Opportunity
from leads.management.seeding.leads import build_lead_batch, write_batch_rows
from leads.models import Lead

WINDOW_PER_WORKER = 2
BLOCK_MODELS = [Lead, Account, Contact, Opportunity]

_context = None  # the parent's SeedContext, inherited by the forked workers


def _build(job):
    offset, size, times, blocks = job
    ctx = _context
    ctx.created_times = iter(times)
    return build_lead_batch(
        ctx,
        size,
        offset=offset,
        reserve=lambda model, n: blocks[model][:n],
    )


def write_lead_batches(ctx, missing, *, existing, size, workers, progress):
    """Add `missing` leads in batches of `size` built by `workers` processes.
    PostgreSQL, inside a deferred load (the tables locked for this transaction)."""
    global _context
    _context = ctx
    times = ctx.created_times
    done = written = 0
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pending = deque()
            while done < missing or pending:
                while done < missing and len(pending) < workers * WINDOW_PER_WORKER:
                    batch = min(size, missing - done)
                    blocks = {
                        model: ctx.tables[model].reserve_block(batch)
                        for model in BLOCK_MODELS
                    }
                    job = (existing + done, batch, list(islice(times, batch)), blocks)
                    pending.append((batch, pool.apply_async(_build, (job,))))
                    done += batch
                batch, result = pending.popleft()
                rows = result.get()
                with transaction.atomic(savepoint=False):  # see seed_demo
                    write_batch_rows(ctx, rows)
                written += batch
                progress.show(written)
    finally:
        _context = None
