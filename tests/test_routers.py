"""The read-replica router: reports and exports read from the replica, the rest of
the app (and every write) from the primary. In tests the "replica" alias is a
MIRROR of the test database (leadsite/settings.py), so both aliases are real."""

import json

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from leads.models import Lead
from leadsite.core.replicas import ReplicaRouter, replica_reads
from tests import factories
from tests.support import run_python

router = ReplicaRouter()


@pytest.fixture
def replica_on(settings):
    settings.LEADSITE_REPLICA_READS = True


def test_reads_go_to_the_primary_unless_marked(replica_on):
    assert router.db_for_read(Lead) == "default"
    with replica_reads():
        assert router.db_for_read(Lead) == "replica"
    assert router.db_for_read(Lead) == "default"


def test_writes_and_migrations_stay_on_the_primary(replica_on):
    with replica_reads():
        assert router.db_for_write(Lead) == "default"
    assert router.allow_migrate("default", "leads")
    assert not router.allow_migrate("replica", "leads")


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary(replica_on):
    """Read-your-writes: a service that reads after writing sees its own rows."""
    with transaction.atomic(), replica_reads():
        assert router.db_for_read(Lead) == "default"


def test_without_replica_reads_everything_stays_on_the_primary(settings):
    settings.LEADSITE_REPLICA_READS = False
    with replica_reads():
        assert router.db_for_read(Lead) == "default"


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_the_report_reads_from_the_replica_and_the_list_does_not(
    replica_on, client, manager
):
    factories.LeadFactory(owner_user=manager, business_unit=manager.business_unit)
    client.force_login(manager)
    for url, replica_used in [("/reports/sources/", True), ("/leads/", False)]:
        with (
            CaptureQueriesContext(connections["replica"]) as on_replica,
            CaptureQueriesContext(connections["default"]) as on_primary,
        ):
            response = client.get(url)
        assert response.status_code == 200, url
        assert bool(on_replica.captured_queries) is replica_used, url
        # The session and the user come from the primary either way.
        assert on_primary.captured_queries, url


PRINT = (
    "import json, leadsite.settings as s; "
    "print(json.dumps({a: {k: str(d.get(k, '')) for k in ('NAME', 'CONN_MAX_AGE', "
    "'CONN_HEALTH_CHECKS', 'TEST')} for a, d in s.DATABASES.items()} | "
    "{'routers': s.__dict__.get('DATABASE_ROUTERS', []), "
    "'reads': s.LEADSITE_REPLICA_READS}))"
)


def test_postgresql_connections_persist_with_health_checks():
    shown = json.loads(
        run_python(
            PRINT,
            DATABASE_URL="postgres://u@db.internal:5432/leadsite",
            PYTEST_VERSION="",
        )
    )
    assert shown["default"]["CONN_MAX_AGE"] == "60"
    assert shown["default"]["CONN_HEALTH_CHECKS"] == "True"
    assert "replica" not in shown and shown["reads"] is False


def test_a_replica_url_adds_the_alias_and_the_router():
    shown = json.loads(
        run_python(
            PRINT,
            DATABASE_URL="postgres://u@primary.internal:5432/leadsite",
            DATABASE_REPLICA_URL="postgres://u@replica.internal:5432/leadsite",
            PYTEST_VERSION="",
        )
    )
    assert shown["replica"]["NAME"] == "leadsite"
    assert shown["replica"]["CONN_MAX_AGE"] == "60"
    assert "MIRROR" in shown["replica"]["TEST"]
    assert shown["routers"] == ["leadsite.core.replicas.ReplicaRouter"]
    assert shown["reads"] is True
