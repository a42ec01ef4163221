"""manage.py seed_demo at volume: creation times streamed in order (memory does not
grow with the number of leads), every lead and its records written whatever the
batch size, and a load with deferred indexes leaves every table as it was built."""

import datetime
import io
import random
import types

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import Account, Contact, Opportunity, StageVisit, User
from leads.management.seeding.values import HISTORY_DAYS, creation_times
from leads.models import Activity, Lead, LeadScore, LeadState, SourceReportDirty
from leads.reports import source_performance_report
from leads.reports.stages import days_per_stage
from leads.reports.summary import refresh_source_summary
from tests.test_seed_demo import _indexes_and_keys
from tests.test_source_report_summary import _snapshot


def seed(**options):
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **{"seed": 5, **options})
    return out.getvalue()


def test_creation_times_stream_oldest_first_over_the_history():
    now = timezone.now()
    times = creation_times(random.Random(3), 20_000, now=now)
    assert isinstance(times, types.GeneratorType)  # never a list of them all
    times = list(times)
    assert len(times) == 20_000
    assert times == sorted(times)
    oldest = now - datetime.timedelta(days=HISTORY_DAYS)
    assert oldest <= times[0] and times[-1] <= now
    assert all(moment.microsecond == now.microsecond for moment in times)
    # Uniform over the history: each tenth of it holds about a tenth of the leads.
    tenth = (now - oldest) / 10
    per_tenth = [0] * 10
    for moment in times:
        per_tenth[min(9, int((moment - oldest) / tenth))] += 1
    assert all(1700 < count < 2300 for count in per_tenth), per_tenth


def test_creation_times_of_no_leads_are_none():
    assert list(creation_times(random.Random(3), 0, now=timezone.now())) == []


@pytest.mark.django_db
def test_seeding_yields_the_expected_counts():
    """Batches that do not divide the total: every lead is written once, with its
    score row, and each qualified lead with its account, contact and
    opportunity; the report's days are marked for the next refresh."""
    output = seed(leads=333, batch_size=50)
    assert "333 added" in output
    assert Lead.objects.count() == 333
    assert LeadScore.objects.count() == 333
    qualified = Lead.objects.filter(state=LeadState.QUALIFIED)
    assert qualified.count() > 20
    for model, field in [
        (Account, "qualifying_account"),
        (Contact, "qualifying_contact"),
        (Opportunity, "qualifying_opportunity"),
    ]:
        made = model.objects.filter(pk__in=qualified.values(field))
        assert made.count() == qualified.count(), model.__name__
    created = list(Lead.objects.order_by("pk").values_list("created_at", flat=True))
    assert created == sorted(created)
    assert SourceReportDirty.objects.exists()
    assert "0 added" in seed(leads=333, batch_size=50)
    assert Lead.objects.count() == 333


@pytest.mark.django_db
def test_a_deferred_load_builds_the_lead_score_table_again():
    """The lead score rows come from a trigger during the load: their table's
    indexes and keys are put back like the others' (PostgreSQL)."""
    before = _indexes_and_keys(LeadScore)
    output = seed(leads=120, defer_indexes="yes", batch_size=40)
    assert "building indexes" in output
    assert _indexes_and_keys(LeadScore) == before
    assert LeadScore.objects.count() == Lead.objects.count() == 120
    if connection.vendor == "postgresql":
        assert any("FOREIGN KEY (lead_id)" in text for text in before.values())


@pytest.mark.django_db
def test_a_deferred_load_marks_every_day_the_report_must_recompute():
    """The activity and stage visit triggers are off during a deferred load: the
    leads' own marks bring the report and its Days per stage up to date all the
    same."""
    seed(leads=200, defer_indexes="yes", batch_size=70)
    assert Activity.objects.exists() and StageVisit.objects.exists()
    refresh_source_summary()
    admin = User.objects.get(username="admin")
    assert _shown(days_per_stage(user=admin)) == _shown(
        days_per_stage(user=admin, straight=True)
    )
    summary = source_performance_report(user=admin)
    straight = source_performance_report(user=admin, straight=True)
    assert summary.rows
    assert [_snapshot(row) for row in summary.rows] == [
        _snapshot(row) for row in straight.rows
    ]
    assert summary.trend == straight.trend


def _shown(rows):
    return [(row.source, row.cells()) for row in rows]


LEAD_VALUES = [
    "first_name",
    "last_name",
    "email",
    "company_name",
    "business_phone",
    "source",
    "rating",
    "status",
    "state",
    "owner_user_id",
    "owner_team_id",
    "estimated_value",
]


def _leads_and_records():
    rows = Lead.objects.order_by("created_at", "pk").values_list(
        *LEAD_VALUES, "created_at", "closed_at"
    )
    # A run's times count back from when it started: compared from its first lead.
    first = rows[0][-2]
    leads = [
        (*values, created_at - first, closed_at and closed_at - first)
        for *values, created_at, closed_at in rows
    ]
    qualified = Lead.objects.filter(state=LeadState.QUALIFIED)
    made = {
        model.__name__: model.objects.filter(pk__in=qualified.values(field)).count()
        for model, field in [
            (Account, "qualifying_account"),
            (Contact, "qualifying_contact"),
            (Opportunity, "qualifying_opportunity"),
        ]
    }
    timeline = Activity.objects.filter(lead__isnull=False).count()
    return leads, made, timeline, qualified.count()


@pytest.mark.django_db(transaction=True)
def test_rows_built_by_worker_processes_are_the_leads_built_here():
    """A deferred load with its rows built by two worker processes writes the same
    leads, records and timeline as one that builds them in the command's own
    process (PostgreSQL: elsewhere rows are always built in the process)."""
    if connection.vendor != "postgresql":
        pytest.skip("worker processes build rows only for a PostgreSQL load")
    output = seed(leads=900, defer_indexes="yes", batch_size=100, workers=2)
    assert "rows built by 2 processes" in output
    parallel = _leads_and_records()
    assert len(parallel[0]) == 900
    with connection.cursor() as cursor:  # the leads and all that hangs off them
        cursor.execute(
            "TRUNCATE leads_lead, accounts_account, accounts_contact, "
            "accounts_opportunity CASCADE"
        )
    output = seed(leads=900, defer_indexes="yes", batch_size=100, workers=0)
    assert "rows built by" not in output
    assert _leads_and_records() == parallel
    # Qualified leads point at their own records.
    _, made, _, qualified = parallel
    assert made == dict.fromkeys(["Account", "Contact", "Opportunity"], qualified)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [0, 2])
def test_a_deferred_load_keeps_the_database_sessions_memory_flat(monkeypatch, workers):
    """The batches of a deferred load share its one transaction without a
    savepoint each: PostgreSQL keeps a released savepoint's memory until the
    transaction ends once a trigger ran in it (about 4 MB a batch of 5,000 leads,
    8 GB for ten million)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's memory contexts")
    from leads.management.commands import seed_demo

    seen = {}
    add_leads = seed_demo.Command._add_leads

    def measured(self, *args, **kwargs):  # read at the end of the load's batches
        add_leads(self, *args, **kwargs)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_backend_memory_contexts "
                "WHERE name = 'CurTransactionContext'"
            )
            seen["contexts"] = cursor.fetchone()[0]

    monkeypatch.setattr(seed_demo.Command, "_add_leads", measured)
    seed(leads=1200, defer_indexes="yes", batch_size=40, workers=workers)
    assert Lead.objects.count() == 1200
    assert seen["contexts"] <= 2, "one context kept per batch of 40 (30 batches)"


@pytest.mark.django_db(transaction=True)
def test_the_scores_are_rebuilt_on_analysed_tables(monkeypatch):
    """The score rebuild after a load walks the open leads by a keyset the planner
    plans from the tables' statistics: the load analyses its tables first."""
    from leads.management.commands import seed_demo

    seen = {}
    rebuild = seed_demo.Command._rebuild_scores

    def measured(self):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT reltuples FROM pg_class WHERE relname = 'leads_lead'"
                )
            else:
                cursor.execute(
                    "SELECT stat FROM sqlite_stat1 WHERE tbl = 'leads_lead' LIMIT 1"
                )
            seen["statistics"] = cursor.fetchone()
        rebuild(self)

    monkeypatch.setattr(seed_demo.Command, "_rebuild_scores", measured)
    seed(leads=700, batch_size=100, workers=0)
    assert seen["statistics"] is not None
    if connection.vendor == "postgresql":
        assert seen["statistics"][0] == 700  # -1: never analysed
