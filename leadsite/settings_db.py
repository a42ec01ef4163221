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
