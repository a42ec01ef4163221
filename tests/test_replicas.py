"""When the replica may answer a marked read: read-your-writes through a signed
WAL-position cookie, the lag limit, and a replica that does not answer (reads go
to the primary, never a 5xx). The streaming replica itself is exercised by the
cluster suite (tests/cluster); here the replica alias is the test database's
mirror, or a closed port for "down"."""

import socket

import pytest
from django.db import connections

from leads.models import Lead
from leadsite.core import replicas
from leadsite.core.replicas import (
    WAL_COOKIE,
    ReplicaRouter,
    parse_lsn,
    replica_reads,
    replica_serves,
)
from tests import factories


@pytest.fixture
def replica_on(settings):
    settings.LEADSITE_REPLICA_READS = True
    settings.LEADSITE_REPLICA_MAX_LAG_SECONDS = 30


def test_lsn_text_reads_as_an_ordered_number():
    assert parse_lsn("0/16B3748") < parse_lsn("0/16B3750") < parse_lsn("1/0")
    assert parse_lsn(None) is None and parse_lsn("junk") is None


def test_a_replica_that_has_not_replayed_the_users_write_does_not_serve(replica_on):
    state = {"in_recovery": True, "lag_seconds": 0.1}
    written = parse_lsn("0/5000")
    assert not replica_serves(replay_lsn=parse_lsn("0/4FFF"), min_lsn=written, **state)
    assert replica_serves(replay_lsn=parse_lsn("0/5000"), min_lsn=written, **state)
    assert replica_serves(replay_lsn=parse_lsn("0/4FFF"), min_lsn=None, **state)


def test_a_replica_past_the_lag_limit_does_not_serve(replica_on):
    behind = {"in_recovery": True, "replay_lsn": parse_lsn("0/5000"), "min_lsn": None}
    assert replica_serves(lag_seconds=29.0, **behind)
    assert not replica_serves(lag_seconds=31.0, **behind)


def test_a_server_not_in_recovery_always_serves(replica_on):
    assert replica_serves(
        in_recovery=False, replay_lsn=None, lag_seconds=None, min_lsn=parse_lsn("9/0")
    )


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_write_leaves_the_primarys_wal_position_in_a_signed_cookie(
    replica_on, client, manager
):
    client.force_login(manager)
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    assert response.status_code < 500
    if connections["default"].vendor == "postgresql":
        lsn = client.cookies[WAL_COOKIE].value.rsplit(":", 2)[0]
        assert parse_lsn(lsn) is not None
    else:  # SQLite has no WAL position to wait for
        assert WAL_COOKIE not in client.cookies
    assert WAL_COOKIE not in client.get("/leads/").cookies


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def replica_down(replica_on):
    """The replica alias pointed at a port nothing listens on."""
    replica = connections["replica"]
    saved = dict(replica.settings_dict)
    replica.close()
    replica.settings_dict.update(
        HOST="127.0.0.1", PORT=_closed_port(), NAME="replica_gone"
    )
    replica.settings_dict["OPTIONS"] = {"connect_timeout": 2}
    replicas._down_until = 0.0
    yield
    replica.close()
    replica.settings_dict.clear()
    replica.settings_dict.update(saved)
    replicas._down_until = 0.0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_an_unreachable_replica_sends_reports_to_the_primary(
    replica_down, client, manager
):
    if connections["default"].vendor != "postgresql":
        pytest.skip("the replica check needs PostgreSQL")
    factories.LeadFactory(owner_user=manager, business_unit=manager.business_unit)
    client.force_login(manager)
    for path in ("/reports/sources/", "/leads/export/?view=all"):
        response = client.get(path)
        assert response.status_code == 200, path
        body = (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )
        assert body  # the whole page or file, read from the primary
    # The verdict is kept: the next marked read does not try the replica again.
    with replica_reads():
        assert ReplicaRouter().db_for_read(Lead) == "default"
