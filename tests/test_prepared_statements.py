"""PostgreSQL plans a page's repeated statements once (leadsite/settings_db.py,
bind_on_server): parameters are bound on the server and a statement run five
times on a connection is prepared there."""

from importlib import import_module

import pytest
from django.db import connection

from leadsite.settings_db import bind_on_server
from tests import factories

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: prepared statements"
)


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@needs_postgresql
def test_the_lead_page_query_is_prepared_after_five_requests(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    for _ in range(6):
        assert rep_client.get(lead.get_absolute_url()).status_code == 200
    prepared = _prepared_statements()
    # The lead's own query (its presence flags) and the per-request access read.
    assert any('"has_activities"' in sql and "$" in sql for sql in prepared)
    assert any("SELECT 'group', g.name" in sql for sql in prepared)


def test_binding_can_be_turned_off_or_kept_unprepared(monkeypatch):
    def options(**environ):
        for name in ("DJANGO_DB_SERVER_SIDE_BINDING", "DJANGO_DB_PREPARE_THRESHOLD"):
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        databases = {
            "default": {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {}},
            "replica": {"ENGINE": "django.db.backends.postgresql"},
            "other": {"ENGINE": "django.db.backends.sqlite3"},
        }
        bind_on_server(databases)
        return {alias: db.get("OPTIONS", {}) for alias, db in databases.items()}

    on = options()
    assert on["default"] == {"server_side_binding": True, "prepare_threshold": 5}
    assert on["replica"] == on["default"]
    assert on["other"] == {}
    behind_pgbouncer = options(DJANGO_DB_PREPARE_THRESHOLD="0")
    assert behind_pgbouncer["default"]["prepare_threshold"] is None
    assert options(DJANGO_DB_SERVER_SIDE_BINDING="false")["default"] == {}


@needs_postgresql
def test_a_search_is_planned_for_its_words_never_by_a_prepared_plan(
    manager_client, rep
):
    """A prepared statement's generic plan suits any values; a text search's best
    plan depends on its words (leadsite.core.planning): the lead list's search
    statements stay unprepared however often they run, the list without a search
    is prepared as before, and the connection's threshold is back after."""
    factories.LeadFactory(owner_user=rep, last_name="Smith")
    for _ in range(6):
        assert (
            manager_client.get("/leads/", {"view": "all", "q": "smith"}).status_code
            == 200
        )
        assert manager_client.get("/leads/", {"view": "all"}).status_code == 200
    prepared = _prepared_statements()
    assert not any("LIKE" in sql for sql in prepared)
    assert any('FROM "leads_lead"' in sql and "COUNT(*)" in sql for sql in prepared)
    assert connection.connection.prepare_threshold == 5


@needs_postgresql
def test_searched_words_are_estimated_from_a_large_sample(db):
    """How many leads contain a word is estimated from the statistics of the
    searched expressions (UPPER(last_name) and so on, leads 0021): their target is
    1,000 histogram entries, not the default 100 that let the filtered list's plan
    swing between 39 and 775 ms at ten million leads."""
    indexes = import_module("leads.migrations.0021_search_expression_statistics")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, a.attstattarget FROM pg_attribute a"
            " JOIN pg_class c ON c.oid = a.attrelid"
            " WHERE c.relname = ANY(%s) AND a.attnum = 1",
            [indexes.INDEXES],
        )
        targets = dict(cursor.fetchall())
    assert targets == dict.fromkeys(indexes.INDEXES, 1000)
    assert {"lead_last_name_trgm", "lead_email_trgm"} <= set(targets)
