"""A rebuild of the source report summary (`manage.py rebuild_source_report`) writes
the Days per stage rows set-based (leads.reports.stage_summary): the same rows the
refresh writes through the ORM, and the same figures as the straight computation
from the leads and their stage visits."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from leads.models import Lead, SourceReportDirty
from leads.models.reports import SourceReportStage
from leads.reports import summary
from leads.reports.stage_summary import COLUMNS
from leads.reports.stages import days_per_stage
from leads.reports.summary import rebuild_source_summary, refresh_source_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    # Local days differ from UTC days: the rows' day boundaries are tested too.
    settings.TIME_ZONE = "America/Los_Angeles"
    call_command("seed_demo", leads=300, seed=11, stdout=io.StringIO())


def _stage_rows():
    """Every stage row as (level, period, key, stage, figures), the float sums
    rounded (the two ways add the same seconds in different orders)."""
    rows = SourceReportStage.objects.values_list("level", "period", *COLUMNS)
    return sorted(
        (*row[:-4], row[-4], round(row[-3], 3), row[-2], round(row[-1], 3))
        for row in rows
    )


def _shown(rows):
    return [(row.source, row.cells()) for row in rows]


def test_rebuilt_stage_rows_are_the_rows_the_refresh_writes(seeded, monkeypatch):
    # The seeded days day by day, through the ORM (not the whole-span recompute a
    # refresh of that many days takes).
    monkeypatch.setattr(summary, "REBUILD_FROM_DAYS", 10**6)
    refresh_source_summary()
    refreshed = _stage_rows()
    assert {row[0] for row in refreshed} == {
        SourceReportStage.DAY,
        SourceReportStage.MONTH,
        SourceReportStage.YEAR,
        SourceReportStage.UNIT_DAY,
        SourceReportStage.UNIT_MONTH,
        SourceReportStage.UNIT_YEAR,
    }
    rebuild_source_summary()
    assert _stage_rows() == refreshed


def test_rebuilt_stage_rows_give_the_straight_days_per_stage(seeded):
    SourceReportStage.objects.all().delete()  # lost summary rows
    call_command("rebuild_source_report", stdout=io.StringIO())
    assert not SourceReportDirty.objects.exists()
    users = User.objects.filter(username__in=["admin", "manager", "rep", "rep2"])
    assert len(users) == 4
    for user in users:
        summary = days_per_stage(user=user)
        assert summary, user.username
        assert _shown(summary) == _shown(days_per_stage(user=user, straight=True))


def test_rebuild_of_no_leads_leaves_no_stage_rows(db):
    SourceReportStage.objects.create(period="2026-01-01", stage=1, finished=1)
    rebuild_source_summary()
    assert not SourceReportStage.objects.exists()


def test_a_refresh_of_many_days_recomputes_set_based(seeded):
    """After a bulk load (every day of the seed marked) the background refresh
    recomputes the whole summary in INSERT ... SELECT statements, reading no
    summary rows into Python, and writes what the refresh day by day writes."""
    days = len({day for day in SourceReportDirty.objects.values_list("day", flat=True)})
    assert days >= summary.REBUILD_FROM_DAYS
    with CaptureQueriesContext(connection) as queries:
        refresh_source_summary()
    assert not SourceReportDirty.objects.exists()
    read = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
        and "leads_sourcereportstage" in q["sql"]
    ]
    assert read == []
    set_based = _stage_rows()
    assert set_based
    SourceReportStage.objects.all().delete()
    created = Lead.objects.values_list("created_at", flat=True)
    summary.recompute_days({timezone.localtime(moment).date() for moment in created})
    assert _stage_rows() == set_based  # the same rows, day by day
