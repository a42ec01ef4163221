"""After a bulk load the source report answers at once from its summary as it
stands, says which days are being recomputed, and leaves the recomputation to one
background task; a small edit still shows at once."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from leads.models import Lead, LeadSource, SourceReportDirty, SourceReportState
from leads.reports.freshness import REQUEUE_AFTER
from leads.reports.summary import INLINE_DAYS, STATE, refresh_source_summary
from tests import factories
from tests.task_worker import DATABASE_TASKS, queued_tasks, run_queued_tasks

URL = "/reports/sources/?period=all"
REFRESH = "leads.reports.freshness.refresh_source_report"
BULK_DAYS = 3 * INLINE_DAYS


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_TASKS


@pytest.fixture
def settled(manager):
    """One Web lead, summed into the summary: the figures before the bulk load."""
    factories.LeadFactory(
        owner_user=manager, business_unit=manager.business_unit, source=LeadSource.WEB
    )
    refresh_source_summary()


def bulk_load(owner, *, days=BULK_DAYS, per_day=2):
    """Leads created over many past days in one statement, as an import or a
    seeding script writes them (the triggers mark every day)."""
    now = timezone.now()
    Lead.objects.bulk_create(
        factories.LeadFactory.build(
            owner_user=owner,
            owner_team=None,
            business_unit=owner.business_unit,
            source=LeadSource.PARTNER,
            created_at=now - datetime.timedelta(days=day + 1, hours=n),
        )
        for day in range(days)
        for n in range(per_day)
    )


def created_cell(page, label):
    """The Created figure of the table row labelled `label` (csv export)."""
    for row in csv.reader(io.StringIO(page)):
        if row and row[0] in ("source", "total") and row[1] == label:
            return int(row[3])
    return None


def refresh_tasks():
    return [path for path in queued_tasks() if path == REFRESH]


def test_bulk_load_is_recomputed_by_one_background_task(
    manager_client, manager, settled, database_queue, django_assert_max_num_queries
):
    bulk_load(manager)
    marks = SourceReportDirty.objects.count()
    assert marks >= BULK_DAYS

    with django_assert_max_num_queries(30):
        page = manager_client.get(URL)
    assert page.status_code == 200
    notice = page.context["report"].freshness
    assert not notice.current and notice.queued
    # Local days: the UTC days' neighbours may be among them.
    assert BULK_DAYS <= notice.pending_days <= BULK_DAYS + 2
    assert "being recomputed in the background" in page.content.decode()
    assert 'id="source-report-freshness"' in page.content.decode()
    # The request recomputed nothing: the marks wait, the figures are the old ones.
    assert SourceReportDirty.objects.count() == marks
    assert [row.label for row in page.context["report"].rows] == ["Web"]
    assert refresh_tasks() == [REFRESH]

    again = manager_client.get(URL)
    assert not again.context["report"].freshness.current
    assert refresh_tasks() == [REFRESH]  # queued once, not per read
    export = manager_client.get(URL + "&format=csv")
    lines = b"".join(export.streaming_content).decode()
    assert created_cell(lines, "All sources") == 1
    assert "being recomputed" in lines.strip().splitlines()[-1]

    run_queued_tasks()
    assert not SourceReportDirty.objects.exists()
    state = SourceReportState.objects.get(pk=STATE)
    assert state.queued_at is None and state.refreshed_at is not None
    after = manager_client.get(URL)
    assert after.context["report"].freshness.current
    assert 'id="source-report-freshness"' not in after.content.decode()
    report = after.context["report"]
    assert report.total.created == 1 + 2 * BULK_DAYS
    assert {row.label: row.created for row in report.rows} == {
        "Web": 1,
        "Partner": 2 * BULK_DAYS,
    }
    export = manager_client.get(URL + "&format=csv")
    lines = b"".join(export.streaming_content).decode()
    assert created_cell(lines, "Partner") == 2 * BULK_DAYS
    assert "being recomputed" not in lines


def test_a_small_edit_shows_at_once(manager_client, manager, settled, database_queue):
    lead = Lead.objects.get()
    Lead.objects.filter(pk=lead.pk).update(source=LeadSource.PARTNER)
    page = manager_client.get(URL)
    report = page.context["report"]
    assert report.freshness.current
    assert [row.label for row in report.rows] == ["Partner"]
    assert not SourceReportDirty.objects.exists()
    assert refresh_tasks() == []


def test_a_few_days_are_recomputed_in_the_request(
    manager_client, manager, settled, database_queue
):
    bulk_load(manager, days=2)
    report = manager_client.get(URL).context["report"]
    assert report.freshness.current and report.total.created == 5
    assert refresh_tasks() == []


def test_a_lost_refresh_is_queued_again(
    manager_client, manager, settled, database_queue
):
    bulk_load(manager)
    manager_client.get(URL)
    # The worker that took it died: after REQUEUE_AFTER the next read queues anew.
    SourceReportState.objects.filter(pk=STATE).update(
        queued_at=timezone.now() - REQUEUE_AFTER - datetime.timedelta(minutes=1)
    )
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    page = manager_client.get(URL)
    assert page.context["report"].freshness.queued
    assert refresh_tasks() == [REFRESH]


def test_the_page_says_as_of_when(manager_client, manager, settled, database_queue):
    as_of = SourceReportState.objects.get(pk=STATE).refreshed_at
    bulk_load(manager)
    page = manager_client.get(URL)
    assert page.context["report"].freshness.as_of == as_of
    assert "Figures as of" in page.content.decode()


def test_tasks_run_at_once_show_the_new_figures(manager_client, manager, settled):
    """With a backend that runs tasks at once the first read already has them."""
    bulk_load(manager)
    report = manager_client.get(URL).context["report"]
    assert report.freshness.current
    assert report.total.created == 1 + 2 * BULK_DAYS
    assert not SourceReportDirty.objects.exists()


def test_the_scheduler_runs_the_refresh_as_a_safety_net(settings):
    job = settings.LEADSITE_SCHEDULES["refresh_source_report"]
    assert job["task"] == REFRESH
