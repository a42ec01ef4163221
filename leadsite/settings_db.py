"""The primary's connections per process (docs/scale-out.md, "Connection sums"):
persistent connections, one per thread (CONN_MAX_AGE, the default), or Django's
psycopg pool with DJANGO_DB_POOL_SIZE connections at most per process, shared by
its threads. leadsite/settings.py calls pool_connections(DATABASES); and the
session settings of web processes (session_settings)."""

import environ

env = environ.Env()


def pool_connections(databases) -> None:
    """With DJANGO_DB_POOL_SIZE > 0, the default (primary) database gets Django's
    psycopg pool (needs psycopg-pool): DJANGO_DB_POOL_MIN connections kept open,
    up to DJANGO_DB_POOL_SIZE, each checked before a request gets it (as
    CONN_HEALTH_CHECKS says); a request waits up to DJANGO_DB_POOL_TIMEOUT
    seconds for one. The replica keeps its
    persistent connections (a replica that does not answer must cost one short
    connect, not a wait for a pool)."""
    size = env.int("DJANGO_DB_POOL_SIZE", default=0)
    database = databases["default"]
    if not size or database["ENGINE"] != "django.db.backends.postgresql":
        return
    database["CONN_MAX_AGE"] = 0  # the pool keeps them instead
    database["OPTIONS"] = {
        **database.get("OPTIONS", {}),
        "pool": {
            "min_size": min(env.int("DJANGO_DB_POOL_MIN", default=1), size),
            "max_size": size,
            "timeout": env.float("DJANGO_DB_POOL_TIMEOUT", default=10.0),
            "max_idle": 300,
        },
    }


def bind_on_server(databases) -> None:
    """PostgreSQL gets each statement with its parameters apart (psycopg's
    server-side binding; DJANGO_DB_SERVER_SIDE_BINDING, on by default) instead of
    values quoted into its text, and psycopg prepares a statement its connection
    has run DJANGO_DB_PREPARE_THRESHOLD times (5), so that PostgreSQL stops
    planning it on every request: the lead page's own query took longer to plan
    than to run (README, "Performance"). Behind PgBouncer in transaction mode
    (Debian's 1.18 keeps no prepared statements), DJANGO_DB_PREPARE_THRESHOLD=0:
    bound, never prepared (docs/scale-out.md)."""
    if not env.bool("DJANGO_DB_SERVER_SIDE_BINDING", default=True):
        return
    threshold = env.int("DJANGO_DB_PREPARE_THRESHOLD", default=5)
    for database in databases.values():
        if database["ENGINE"] == "django.db.backends.postgresql":
            database["OPTIONS"] = {
                **database.get("OPTIONS", {}),
                "server_side_binding": True,
                "prepare_threshold": threshold or None,
            }


def session_settings(database, *, web: bool, timed: bool) -> None:
    """PostgreSQL session settings of `database` (its OPTIONS' `options`).

    web (gunicorn, runserver, tests; not migrate, seed_demo, db_worker, which may
    run long statements on purpose): statement and lock timeouts below gunicorn's
    worker timeout (30 s by default), so that a statement stuck behind a lock or
    running away is cancelled and the request gets LeadSite's "busy, try again"
    page (leadsite.core.middleware) instead of a killed worker.

    timed (web processes and `bench`, which times their requests): no parallel
    workers (DJANGO_DB_PARALLEL_WORKERS, max_parallel_workers_per_gather):
    starting two took 13-14 ms of a 23 ms page at ten million leads, for queries
    that stop after a page of rows (README "Ten million leads"). Commands and
    db_worker keep the server's setting for their long statements."""
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    settings = []
    if web:
        statement = env.int("DJANGO_DB_STATEMENT_TIMEOUT_MS", default=20000)
        lock = env.int("DJANGO_DB_LOCK_TIMEOUT_MS", default=10000)
        settings += [f"-c statement_timeout={statement}", f"-c lock_timeout={lock}"]
    if timed:
        workers = env.int("DJANGO_DB_PARALLEL_WORKERS", default=0)
        settings.append(f"-c max_parallel_workers_per_gather={workers}")
    if settings:
        options = database.setdefault("OPTIONS", {})
        options["options"] = " ".join(
            filter(None, [options.get("options", ""), *settings])
        )
