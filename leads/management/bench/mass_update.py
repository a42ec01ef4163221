"""Mass-update scenario for `manage.py bench`.

- mass_update: the manager's "all matching" mass update of COUNT open leads of the
  list's "All open leads" view (the filter resolved to ids and versions, the rows
  written, then every lead changed through update_lead and assign_lead: rating and
  owner, as a manager does it), then its undo; each timed at the service (the
  request only starts it; a worker does the work), with the queries per lead and
  the process's resident memory sampled through the run, per tenth of it, to show
  that memory stays flat while the chunks go by. The whole run is one transaction
  rolled back at the end (each chunk's commit becomes a savepoint), so the data set
  is left as it was.
"""

import time

from django.db import connection, transaction

from accounts.permissions import assignable_users
from leads.management.bench import RESULT_KEYS, scenario
from leads.management.bench.core import _Rollback, vacuum_written_tables
from leads.management.bench.scoring import _MemorySampler, _rss_mb
from leads.models import LeadRating
from leads.selectors import mass_update as selectors
from leads.services import mass_update as services
from leads.services import mass_update_undo

COUNT = 10_000
QUERY = "view=open"


class _Counter:
    """An execute wrapper that counts statements without keeping their text."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def bench_mass_update(*, viewer, count=COUNT) -> dict:
    """One mass update of `count` leads and its undo, timed, rolled back after."""
    queryset = selectors.matching_leads(user=viewer, query=QUERY)
    found = selectors.count_up_to(queryset, count)
    if found < count:
        return {
            "skipped": f"needs {count:,} open leads in the manager's scope, found "
            f"{found:,} (seed_demo --leads 100000 or more)"
        }
    owner = assignable_users(viewer).exclude(pk=viewer.pk).first() or viewer
    changes = {"rating": LeadRating.HOT, "owner_user": owner}
    result = {"leads": count, "chunk_rows": services.CHUNK_ROWS}
    rss_before = _rss_mb()
    counter, sampler = _Counter(), _MemorySampler()
    try:
        with transaction.atomic(), connection.execute_wrapper(counter):
            sampler.start()
            start = time.perf_counter()
            selection = selectors.selection_of(queryset, limit=count)
            job = services.create_mass_update(
                by=viewer, changes=changes, selection=selection, query=QUERY
            )
            submitted = time.perf_counter()
            job = services.process_mass_update(mass_update_id=job.pk, by=viewer)
            updated = time.perf_counter()
            mass_update_undo.undo_mass_update(mass_update=job, by=viewer)
            undone_job = mass_update_undo.process_mass_update_undo(
                mass_update_id=job.pk, by=viewer
            )
            undone = time.perf_counter()
            sampler.stop()
            result.update(
                {
                    "submit_s": round(submitted - start, 2),
                    "update_s": round(updated - submitted, 1),
                    "undo_s": round(undone - updated, 1),
                    "updated": job.updated_count,
                    "unchanged": job.unchanged_count,
                    "skipped_rows": job.skipped_count,
                    "restored": undone_job.restored_count,
                    "per_lead_ms": round((updated - submitted) / count * 1000, 2),
                    "queries_per_lead": round(counter.count / count / 2, 1),
                    "rss_mb_before": round(rss_before, 1) if rss_before else None,
                    "rss_mb_by_tenth": sampler.per_tenth(undone - start),
                }
            )
            raise _Rollback
    except _Rollback:
        pass
    result["vacuum_s"] = vacuum_written_tables()
    return result


@scenario("mass_update")
def mass_update(bench):
    result = bench_mass_update(viewer=bench.users["manager"])
    if "skipped" in result:
        return {**dict.fromkeys(RESULT_KEYS), "note": result["skipped"]}
    total_ms = round(result["update_s"] * 1000, 1)
    return {
        **dict.fromkeys(RESULT_KEYS),
        "median_ms": total_ms,
        "p95_ms": total_ms,
        **result,
    }
