"""The primary's connections per process (docs/scale-out.md, "Connection sums"):
persistent connections, one per thread (CONN_MAX_AGE, the default), or Django's
psycopg pool with DJANGO_DB_POOL_SIZE connections at most per process, shared by
its threads. leadsite/settings.py calls pool_connections(DATABASES)."""

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
