"""gunicorn settings for LeadSite: `gunicorn -c gunicorn.conf.py leadsite.wsgi`.

Every value can be overridden by an environment variable (GUNICORN_*), so one
file serves every app server. Sizing: Django is CPU-bound between queries, so one
worker process per core plus one, each with a few threads to overlap database
waits. With persistent connections (CONN_MAX_AGE) every thread keeps one
PostgreSQL connection: servers x workers x threads (+ db_worker processes) must
stay below the database's max_connections (100 by default) or go through PgBouncer.
"""

import multiprocessing
import os


def _int(name, default):
    return int(os.environ.get(name, default))


cores = multiprocessing.cpu_count()

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", cores + 1)
# Two threads: on two cores at 16 clients, 3 x 2 served the lead list at 124-125
# requests a second (p95 287-291 ms) against 116 (p95 393) with 3 x 4 (README,
# "HTTP throughput"): more threads only queue more requests per process.
threads = _int("GUNICORN_THREADS", 2)
# Below the proxy's: a request the app gives up on answers 500 from Django's side
# of the log before the proxy (nginx proxy_read_timeout 60 s, most load balancers
# 60 s) cuts the connection, and a restart finishes requests before the proxy
# retries them elsewhere.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)
# Idle keep-alive to the proxy, shorter than the proxy's own upstream keep-alive.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then (memory growth), not all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
preload_app = True  # Django opens no connection at import: safe to fork after
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # "" turns it off
errorlog = "-"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
