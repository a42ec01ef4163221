"""What the import pages tell the manager: no flash message
beside the live panel, a start button that counts the file's rows and says which
will not become new leads, "Go to leads" showing the import's leads, and a batch
that no worker takes saying so."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leads.models import ImportStatus, Lead
from leads.selectors import imports as reading
from leads.tasks import NEXT_STEP
from tests import factories
from tests.import_helpers import csv_upload, latest_batch, start, undo, upload
from tests.support import user_in
from tests.task_worker import DATABASE_TASKS, queued_tasks, run_queued_tasks

HEADER = "subject,lastname,emailaddress1"


@pytest.fixture(autouse=True)
def _tasks_in_the_database(settings):
    settings.TASKS = DATABASE_TASKS


def _start_request(client, batch):
    data = {f"col_{i}": v for i, v in batch.mapping.items()}
    data.update(duplicate_mode="skip", action="start")
    return client.post(f"/leads/import/{batch.pk}/", data, follow=True)


def test_no_flash_message_contradicts_the_progress_panel(manager_client):
    upload(manager_client, csv_upload(HEADER + "\nT,L,l@example.org\n"))
    batch = latest_batch()
    page = _start_request(manager_client, batch).content.decode()
    assert "Queued" in page
    assert "The import has started." not in page
    run_queued_tasks()
    page = manager_client.get(f"/leads/import/{batch.pk}/").content.decode()
    assert "Finished" in page
    assert "The import has started." not in page
    batch.refresh_from_db()
    page = undo(manager_client, batch, run=False, follow=True).content.decode()
    assert "Undoing" in page
    assert "being undone" not in page


def test_start_button_counts_the_data_rows_and_says_what_will_not_be_new(
    manager_client, manager
):
    factories.LeadFactory(owner_user=manager, email="known@example.org")
    text = (
        HEADER + "\n"
        "New one,A,a@example.org\n"
        "Known,B,known@example.org\n"
        "Bad,C,not-an-email\n"
        "New two,D,d@example.org\n"
        "Again,E,a@example.org\n"
        "\n"  # a blank line is no row
    )
    upload(manager_client, csv_upload(text))
    batch = latest_batch()
    assert batch.total_rows == 5
    response = manager_client.get(f"/leads/import/{batch.pk}/")
    preview = response.context["preview"]
    assert (preview.new_rows, preview.match_count, preview.invalid_rows) == (2, 2, 1)
    assert [(line, repeated) for line, _, repeated in preview.matches] == [
        (3, None),
        (6, 2),
    ]
    html = response.content.decode()
    assert "Start import of 5 rows (1 with errors, 2 matching)" in html
    assert "<strong>2</strong> new leads" in html
    batch = start(manager_client, batch)
    assert (batch.created_count, batch.skipped_count, batch.failed_count) == (2, 2, 1)
    assert Lead.objects.filter(email="a@example.org").count() == 1


@pytest.mark.parametrize("mode", ["skip", "flag", "update"])
def test_a_row_repeating_an_earlier_row_is_a_match_within_one_chunk(
    manager_client, mode
):
    """Two rows of one file with the same email: the second is treated as a match
    of the first's lead, as it would be in a later chunk."""
    text = HEADER + "\nFirst,A,same@example.org\nSecond,A,same@example.org\n"
    upload(manager_client, csv_upload(text))
    batch = start(manager_client, latest_batch(), duplicate_mode=mode)
    leads = list(Lead.objects.order_by("pk"))
    if mode == "skip":
        assert (batch.created_count, batch.skipped_count) == (1, 1)
        assert [lead.subject for lead in leads] == ["First"]
    elif mode == "update":
        assert (batch.created_count, batch.updated_count) == (1, 1)
        assert [lead.subject for lead in leads] == ["Second"]
    else:
        assert batch.created_count == 2
        assert leads[1].possible_duplicates.filter(matched_lead=leads[0]).exists()


def test_go_to_leads_shows_the_imported_leads_with_a_chip(manager_client, manager):
    other = factories.LeadFactory(owner_user=manager, subject="Not imported")
    factories.LeadFactory(owner_user=manager, email="old@example.org", subject="Old")
    text = HEADER + "\nFresh,A,fresh@example.org\nUpdated,B,old@example.org\n"
    upload(manager_client, csv_upload(text))
    batch = start(manager_client, latest_batch(), duplicate_mode="update")
    panel = manager_client.get(f"/leads/import/{batch.pk}/").content.decode()
    url = f"/leads/?view=all&amp;import_batch={batch.pk}"
    assert f'href="{url}" id="go-to-leads"' in panel
    response = manager_client.get(url.replace("&amp;", "&"))
    subjects = sorted(lead.subject for lead in response.context["leads"])
    assert subjects == ["Fresh", "Updated"]
    assert other.subject not in subjects
    chips = response.context["chips"]
    assert [(c["label"], c["value"]) for c in chips] == [
        ("From", f"Import #{batch.pk}: leads.csv")
    ]


def test_import_filter_is_scoped(client, manager, org):
    """A batch outside the user's scope is no choice: no rows, not its leads."""
    client.force_login(manager)
    upload(client, csv_upload(HEADER + "\nT,L,l@example.org\n"))
    batch = start(client, latest_batch())
    south = user_in("Sales manager", username="southboss", business_unit=org.south)
    client.force_login(south)
    response = client.get(f"/leads/?view=all&import_batch={batch.pk}")
    assert list(response.context["leads"]) == []
    assert "import_batch" in response.context["filter"].form.errors


def _age_queued_tasks(seconds):
    DBTaskResult.objects.update(
        enqueued_at=timezone.now() - datetime.timedelta(seconds=seconds)
    )


def test_a_batch_no_worker_takes_says_so(manager_client):
    upload(manager_client, csv_upload(HEADER + "\nT,L,l@example.org\n"), check=False)
    batch = latest_batch()
    progress = f"/leads/import/{batch.pk}/progress/"
    page = manager_client.get(progress).content.decode()
    assert "Waiting for a worker to read the file." in page
    assert "No worker" not in page
    _age_queued_tasks(61)
    page = manager_client.get(progress).content.decode()
    assert "No worker has taken this file for 61 seconds." in page
    assert "No worker seems to be running." in page
    assert "manage.py db_worker" in page and "make run" in page
    assert 'hx-trigger="every 1s"' in page  # goes on by itself once one does
    run_queued_tasks()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.MAPPING
    response = _start_request(manager_client, batch)
    assert "No worker" not in response.content.decode()
    assert queued_tasks() == ["leads.tasks.run_import"]
    _age_queued_tasks(90)
    page = manager_client.get(progress).content.decode()
    assert "No worker has taken this import for 90 seconds." in page
    run_queued_tasks()
    page = manager_client.get(progress).content.decode()
    assert "Finished" in page and "No worker" not in page


def test_step_task_paths_are_the_tasks_the_services_queue():
    assert {
        status: task.module_path for status, task in NEXT_STEP.items()
    } == reading.STEP_TASKS
