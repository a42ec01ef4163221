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

A marked block reads from the replica only while the replica is fit to answer,
decided once per block (one small query on the replica, at its first read):
- read-your-writes across app servers: after a request that wrote, the middleware
  remembers the primary's WAL position in a signed cookie; a later marked request
  of that browser reads the replica only once the replica has replayed that far;
- lag: a replica whose replay is more than LEADSITE_REPLICA_MAX_LAG_SECONDS behind
  (while it has newer WAL to replay) is skipped;
- down: a replica that does not answer is skipped for LEADSITE_REPLICA_RETRY_SECONDS
  (its alias has a short connect_timeout), so requests do not each wait for it.
Skipped means the block reads from the primary: the page is current, never a 5xx.
"""

import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections

PRIMARY = "default"
REPLICA = "replica"
# The signed cookie holding the primary's WAL position after this browser's last
# write (read-your-writes across app servers, which share no memory).
WAL_COOKIE = "leadsite_wal"
WAL_COOKIE_SALT = "leadsite.core.replicas.wal"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")

# One query: how far the replica has replayed and how far behind its replay is.
# The lag counts only while there is received WAL still to replay: an idle primary
# sends nothing, so an old last-replayed timestamp alone means no lag.
REPLICA_STATE_SQL = """
SELECT pg_is_in_recovery(),
       pg_last_wal_replay_lsn()::text,
       CASE WHEN pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()
            THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp())
            ELSE 0 END
"""

logger = logging.getLogger(__name__)


@dataclass
class _Reads:
    """One replica_reads() block: the position it must see and its verdict."""

    min_lsn: int | None = None
    use_replica: bool | None = None  # decided at the block's first read


_replica_reads: ContextVar[_Reads | None] = ContextVar(
    "leadsite_replica_reads", default=None
)
# time.monotonic() until which the replica counts as down (per process).
_down_until = 0.0


@contextmanager
def replica_reads(*, min_lsn: int | None = None):
    """Reads in this block may go to the replica (when one is configured and fit).

    min_lsn: the primary's WAL position (pg_lsn as an integer) the replica must have
    replayed to serve this block; None accepts any position within the lag limit.
    """
    token = _replica_reads.set(_Reads(min_lsn=min_lsn))
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_enabled() -> bool:
    return REPLICA in settings.DATABASES and settings.LEADSITE_REPLICA_READS


def parse_lsn(text: str | None) -> int | None:
    """PostgreSQL's pg_lsn text ("16/B374D848") as an integer; None for None/junk."""
    try:
        high, low = (text or "").split("/")
        return (int(high, 16) << 32) | int(low, 16)
    except ValueError:
        return None


def replica_serves(
    *, in_recovery: bool, replay_lsn: int | None, lag_seconds, min_lsn: int | None
) -> bool:
    """Whether a replica in this state may answer a read that must see min_lsn."""
    if not in_recovery:  # a promoted replica, or the same server (test mirror)
        return True
    if (
        lag_seconds is not None
        and lag_seconds > settings.LEADSITE_REPLICA_MAX_LAG_SECONDS
    ):
        return False
    if min_lsn is None:
        return True
    return replay_lsn is not None and replay_lsn >= min_lsn


def _same_server() -> bool:
    primary = connections[PRIMARY].settings_dict
    replica = connections[REPLICA].settings_dict
    keys = ("ENGINE", "NAME", "HOST", "PORT")
    return all(primary.get(key) == replica.get(key) for key in keys)


def mark_replica_down() -> None:
    """Skip the replica for LEADSITE_REPLICA_RETRY_SECONDS (this process)."""
    global _down_until
    _down_until = time.monotonic() + settings.LEADSITE_REPLICA_RETRY_SECONDS
    try:
        connections[REPLICA].close()
    except DatabaseError:
        pass


def _replica_fit(min_lsn: int | None) -> bool:
    if _same_server() or connections[REPLICA].vendor != "postgresql":
        return True
    if time.monotonic() < _down_until:
        return False
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(REPLICA_STATE_SQL)
            in_recovery, replay, lag = cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Replica unreachable, reading from the primary: %s", error)
        mark_replica_down()
        return False
    fit = replica_serves(
        in_recovery=in_recovery,
        replay_lsn=parse_lsn(replay),
        lag_seconds=float(lag) if lag is not None else None,
        min_lsn=min_lsn,
    )
    if not fit:
        logger.info("Replica behind (lag %s s), reading from the primary", lag)
    return fit


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        reads = _replica_reads.get()
        if (
            reads is not None
            and replica_enabled()
            and not connections[PRIMARY].in_atomic_block
        ):
            if reads.use_replica is None:
                reads.use_replica = _replica_fit(reads.min_lsn)
            if reads.use_replica:
                return REPLICA
        return PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same rows: objects read from either may relate.
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


def primary_wal_lsn() -> str | None:
    """The primary's current WAL position (text), or None off PostgreSQL."""
    if connections[PRIMARY].vendor != "postgresql":
        return None
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


class ReplicaReadsMiddleware:
    """Run report and export views (GET/HEAD) with replica_reads() on.

    Last in MIDDLEWARE: the session, the user and the CSRF check are read from the
    primary before the view starts; the view and its template then read from the
    replica. A lazily rendered TemplateResponse is rendered here, inside the block.
    After a request that may have written (any unsafe method), the primary's WAL
    position goes into a signed cookie, so this browser's next report waits for a
    replica that has replayed it, whichever app server serves it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method not in SAFE_METHODS
            and response.status_code < 500
            and replica_enabled()
        ):
            self.remember_position(response)
        return response

    @staticmethod
    def remember_position(response):
        try:
            lsn = primary_wal_lsn()
        except DatabaseError:
            return
        if lsn:
            response.set_signed_cookie(
                WAL_COOKIE,
                lsn,
                salt=WAL_COOKIE_SALT,
                max_age=settings.LEADSITE_REPLICA_RYW_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not self.applies(request):
            return None
        min_lsn = parse_lsn(
            request.get_signed_cookie(
                WAL_COOKIE,
                default=None,
                salt=WAL_COOKIE_SALT,
                max_age=settings.LEADSITE_REPLICA_RYW_SECONDS,
            )
        )
        try:
            with replica_reads(min_lsn=min_lsn):
                reads = _replica_reads.get()
                response = self.run(request, view_func, view_args, view_kwargs)
        except DatabaseError:
            if not reads.use_replica:
                raise
            # The replica failed mid-request: a GET is safe to answer again from
            # the primary.
            logger.warning("Replica failed during a request, reading the primary")
            mark_replica_down()
            return self.run(request, view_func, view_args, view_kwargs)
        if getattr(response, "streaming", False):
            response.streaming_content = _with_replica_reads(
                response.streaming_content, reads
            )
        return response

    @staticmethod
    def run(request, view_func, view_args, view_kwargs):
        response = view_func(request, *view_args, **view_kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        return response

    @staticmethod
    def applies(request) -> bool:
        return (
            replica_enabled()
            and request.method in ("GET", "HEAD")
            and request.path.startswith(tuple(settings.LEADSITE_REPLICA_PATHS))
        )


def _with_replica_reads(chunks, reads):
    """A streamed export keeps reading where its view read while it is sent."""
    token = _replica_reads.set(reads)
    try:
        yield from chunks
    finally:
        _replica_reads.reset(token)
