"""The documented lock order (leads/services/locks.py): a lead before its children,
leads by pk, lead rows only. Completing an activity and merging its lead away at the same moment,
on real PostgreSQL connections, finish without a deadlock."""

import threading
import time

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, connections, transaction

from accounts.models import User
from accounts.permissions import SALES_REP
from leads.models import Activity, Lead
from leads.services.locks import lock_leads
from leads.services.merge import merge_leads
from leads.services.timeline import complete_activity
from tests import factories
from tests.support import ensure_roles

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite has no row locks or concurrent writers",
    ),
]


def _wait_until_blocked(pid, timeout=10.0):
    """Poll until backend `pid` waits for a lock (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]
            )
            row = cursor.fetchone()
            if row and row[0] == "Lock":
                return True
            time.sleep(0.05)
    return False


def test_complete_activity_and_merge_do_not_deadlock():
    ensure_roles()
    unit = factories.BusinessUnitFactory(name="North")
    user = factories.UserFactory(username="ann", business_unit=unit)
    user.groups.add(Group.objects.get(name=SALES_REP))
    master = factories.LeadFactory(owner_user=user)
    subordinate = factories.LeadFactory(owner_user=user)
    activity = factories.ActivityFactory(lead=subordinate, owner=user)

    merger_holds_leads = threading.Event()
    completer_pid = []
    outcomes = {}

    def merger():
        try:
            with transaction.atomic():
                # merge_leads' first step, held while the other user starts.
                list(
                    Lead.objects.select_for_update()
                    .filter(pk__in=[master.pk, subordinate.pk])
                    .order_by("pk")
                )
                merger_holds_leads.set()
                outcomes["completer_waited"] = _wait_until_blocked(
                    completer_pid[0] if completer_pid else -1
                )
                merge_leads(
                    master=master, subordinate=subordinate, by=user, field_values={}
                )
            outcomes["merge"] = "ok"
        except Exception as error:  # noqa: BLE001 - the outcome is what is tested
            outcomes["merge"] = error
        finally:
            connections.close_all()

    def completer():
        try:
            connection.ensure_connection()
            completer_pid.append(connection.connection.info.backend_pid)
            merger_holds_leads.wait(timeout=10)
            complete_activity(activity=activity, by=user)
            outcomes["complete"] = "ok"
        except Exception as error:  # noqa: BLE001
            outcomes["complete"] = error
        finally:
            connections.close_all()

    first = threading.Thread(target=completer)
    first.start()
    while not completer_pid:
        time.sleep(0.01)
    second = threading.Thread(target=merger)
    second.start()
    first.join(timeout=30)
    second.join(timeout=30)

    assert outcomes.get("completer_waited") is True
    assert outcomes == {"completer_waited": True, "merge": "ok", "complete": "ok"}
    activity = Activity.objects.get(pk=activity.pk)
    assert activity.state == "completed"
    assert activity.lead_id == master.pk
    assert Lead.objects.get(pk=subordinate.pk).merged


def test_lock_leads_locks_the_lead_rows_only_whatever_the_queryset_joins():
    """A scoped queryset may join the owner, team and campaign (nullable: outer
    joins): the leads are locked, the joined rows are not."""
    unit = factories.BusinessUnitFactory(name="North")
    user = factories.UserFactory(username="ann", business_unit=unit)
    lead = factories.LeadFactory(owner_user=user)
    outcome = {}

    def other_session():
        try:
            with transaction.atomic():
                User.objects.select_for_update(nowait=True).get(pk=user.pk)
                outcome["owner"] = "free"
                try:
                    with transaction.atomic():
                        Lead.objects.select_for_update(nowait=True).get(pk=lead.pk)
                        outcome["lead"] = "free"
                except DatabaseError:
                    outcome["lead"] = "locked"
        finally:
            connections.close_all()

    with transaction.atomic():
        joined = Lead.objects.select_related("owner_user", "owner_team", "campaign")
        locked = lock_leads(joined, [lead.pk])
        thread = threading.Thread(target=other_session)
        thread.start()
        thread.join(timeout=30)
    assert list(locked) == [lead.pk]
    assert outcome == {"owner": "free", "lead": "locked"}
