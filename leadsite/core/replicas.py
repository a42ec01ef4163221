"""Read replica routing: report and export reads go to the "replica" alias.

Everything else stays on the primary ("default"): every write, every read inside
a transaction (read-your-writes), and every read outside replica_reads(). The
replica is read-only and fed by PostgreSQL streaming replication, so nothing is
ever migrated on it. Reports and exports tolerate the replica's lag of a second
or so; forms and lists, which users check right after a save, do not.

Reads are marked in one of two ways:
- ReplicaReadsMiddleware: GET/HEAD requests under settings.LEADSITE_REPLICA_PATHS
  (the report and export URLs) run their view, template rendering included, under
  replica_reads();
- replica_reads() as a context manager around any other report-like read.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

PRIMARY = "default"
REPLICA = "replica"

_replica_reads = ContextVar("leadsite_replica_reads", default=False)


@contextmanager
def replica_reads():
    """Reads in this block may go to the replica (when one is configured)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_enabled() -> bool:
    return REPLICA in settings.DATABASES and settings.LEADSITE_REPLICA_READS


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            _replica_reads.get()
            and replica_enabled()
            and not connections[PRIMARY].in_atomic_block
        ):
            return REPLICA
        return PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same rows: objects read from either may relate.
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class ReplicaReadsMiddleware:
    """Run report and export views (GET/HEAD) with replica_reads() on.

    Last in MIDDLEWARE: the session, the user and the CSRF check are read from the
    primary before the view starts; the view and its template then read from the
    replica. A lazily rendered TemplateResponse is rendered here, inside the block.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not self.applies(request):
            return None
        with replica_reads():
            response = view_func(request, *view_args, **view_kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        if getattr(response, "streaming", False):
            response.streaming_content = _with_replica_reads(response.streaming_content)
        return response

    @staticmethod
    def applies(request) -> bool:
        return (
            replica_enabled()
            and request.method in ("GET", "HEAD")
            and request.path.startswith(tuple(settings.LEADSITE_REPLICA_PATHS))
        )


def _with_replica_reads(chunks):
    """A streamed export keeps reading from the replica while it is sent."""
    with replica_reads():
        yield from chunks
