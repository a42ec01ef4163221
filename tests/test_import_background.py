"""Imports up to LEADSITE_IMPORT_MAX_SIZE get through the
body check; the upload request only stores the file, the worker reads it and refuses
it past the limits the page states; undo runs in the worker, in chunks."""

import io
import zipfile

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from openpyxl import Workbook

from leads.models import ImportBatch, ImportStatus, Lead
from leadsite.core.middleware import FORM_ROOM
from tests import factories
from tests.import_helpers import csv_upload, latest_batch, start, undo, upload
from tests.task_worker import DATABASE_TASKS, queued_tasks, run_queued_tasks

HEADER = "subject,lastname,emailaddress1,description"
MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def _tasks_in_the_database(settings):
    settings.TASKS = DATABASE_TASKS


# --- One limit per upload kind, before the body is read ---------------------------


def test_import_of_7_mib_is_accepted_stored_and_read(manager_client, settings):
    """Above the attachment limit (5 MiB + 1 MiB of form), below the import limit:
    it was refused with 413 before the import view saw it."""
    settings.LEADSITE_MAX_UPLOAD_SIZE = 5 * MiB
    settings.LEADSITE_IMPORT_MAX_SIZE = 50 * MiB
    line = "Topic {i},Last{i},l{i}@example.org," + "x" * 480 + "\n"
    rows = 7 * MiB // len(line.format(i=10000)) + 1
    content = HEADER + "\n" + "".join(line.format(i=10000 + i) for i in range(rows))
    assert len(content) > 7 * MiB
    response = upload(manager_client, csv_upload(content), check=False)
    assert response.status_code == 302
    batch = latest_batch()
    assert batch.file.size == len(content.encode())
    run_queued_tasks()
    batch.refresh_from_db()
    assert (batch.status, batch.total_rows) == (ImportStatus.MAPPING, rows)


def test_each_url_refuses_bodies_above_its_own_limit_and_names_it(
    manager_client, manager
):
    import_limit = django_settings.LEADSITE_IMPORT_MAX_SIZE
    attachment_limit = django_settings.LEADSITE_MAX_UPLOAD_SIZE
    body = b"--B--\r\n"  # short: a refusal that read the body would fail here
    multipart = "multipart/form-data; boundary=B"
    response = manager_client.generic(
        "POST",
        "/leads/import/",
        body,
        content_type=multipart,
        CONTENT_LENGTH=import_limit + FORM_ROOM + 1,
    )
    assert response.status_code == 413
    assert f"files up to {filesizeformat(import_limit)} can be uploaded" in (
        response.content.decode()
    )
    lead = factories.LeadFactory(owner_user=manager)
    response = manager_client.generic(
        "POST",
        reverse("leads:add-attachment", args=["lead", lead.pk]),
        body,
        content_type=multipart,
        CONTENT_LENGTH=attachment_limit + FORM_ROOM + 1,
    )
    assert response.status_code == 413
    assert f"files up to {filesizeformat(attachment_limit)} can be uploaded" in (
        response.content.decode()
    )


def test_upload_page_states_the_limits(manager_client, settings):
    settings.LEADSITE_IMPORT_MAX_ROWS = 200_000
    settings.LEADSITE_IMPORT_MAX_COLUMNS = 200
    page = manager_client.get("/leads/import/").content.decode()
    limits = page.split('id="import-limits">')[1].split("</p>")[0]
    assert f"Files up to {filesizeformat(settings.LEADSITE_IMPORT_MAX_SIZE)}" in limits
    assert "at most 200 columns and 200,000 data rows" in limits
    assert filesizeformat(settings.LEADSITE_IMPORT_MAX_UNPACKED_SIZE) in limits
    assert "100 times its size" in limits


# --- The request stores, the worker reads and refuses -----------------------------


def test_upload_request_only_stores_the_file_and_the_worker_reads_it(manager_client):
    text = HEADER + "\n" + "".join(f"T{i},L{i},,\n" for i in range(3))
    upload(manager_client, csv_upload(text), check=False)
    batch = latest_batch()
    page = manager_client.get(f"/leads/import/{batch.pk}/").content.decode()
    assert "Reading the file" in page
    assert "Waiting for a worker to read the file" in page
    assert 'hx-trigger="every 1s"' in page
    poll = manager_client.get(f"/leads/import/{batch.pk}/progress/")
    assert poll.status_code == 200 and "HX-Redirect" not in poll
    run_queued_tasks()
    batch.refresh_from_db()
    assert (batch.status, batch.total_rows) == (ImportStatus.MAPPING, 3)
    assert batch.headers == HEADER.split(",")
    # The polling page moves on to the mapping page by itself.
    poll = manager_client.get(f"/leads/import/{batch.pk}/progress/")
    assert poll["HX-Redirect"] == f"/leads/import/{batch.pk}/"
    page = manager_client.get(f"/leads/import/{batch.pk}/").content.decode()
    assert 'id="import-mapping"' in page


def _wide_csv(columns, rows=2):
    header = ["subject", "lastname"] + [f"extra{i}" for i in range(columns - 2)]
    lines = [",".join(header)]
    lines += [",".join([f"T{r}", f"L{r}"] + ["v"] * (columns - 2)) for r in range(rows)]
    return "\n".join(lines) + "\n"


def _refusal(client):
    batch = latest_batch()
    assert batch.status == ImportStatus.REFUSED
    page = client.get(f"/leads/import/{batch.pk}/").content.decode()
    assert batch.refusal in page.replace("&#x27;", "'")
    return batch.refusal


def test_file_with_too_many_columns_is_refused_with_the_limit(manager_client, settings):
    settings.LEADSITE_IMPORT_MAX_COLUMNS = 200
    upload(manager_client, csv_upload(_wide_csv(201)))
    assert "The file has 201 columns; imports take at most 200." in (
        _refusal(manager_client)
    )


def test_file_at_the_column_limit_can_be_mapped_and_started(manager_client, settings):
    """Its mapping form (a field per column) stays under Django's field limit."""
    settings.LEADSITE_IMPORT_MAX_COLUMNS = 200
    assert 200 + 10 < django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    upload(manager_client, csv_upload(_wide_csv(200)))
    batch = latest_batch()
    assert batch.status == ImportStatus.MAPPING
    data = {f"col_{i}": batch.mapping.get(str(i), "") for i in range(200)}
    response = manager_client.post(
        f"/leads/import/{batch.pk}/",
        {**data, "duplicate_mode": "skip", "action": "start"},
    )
    assert response.status_code == 302
    run_queued_tasks()
    assert Lead.objects.count() == 2


def test_preview_of_a_wide_file_checks_a_bounded_number_of_cells(manager_client):
    upload(manager_client, csv_upload(_wide_csv(200, rows=1200)))
    response = manager_client.get(f"/leads/import/{latest_batch().pk}/")
    preview = response.context["preview"]
    assert (preview.checked_rows, preview.total_rows) == (500, 1200)
    assert "checked the first 500 of 1,200 rows" in response.content.decode()


def test_file_with_too_many_rows_is_refused_with_the_limit(manager_client, settings):
    settings.LEADSITE_IMPORT_MAX_ROWS = 5
    rows = "".join(f"T{i},L{i},,\n" for i in range(6))
    upload(manager_client, csv_upload(HEADER + "\n" + rows))
    assert "more than 5 data rows; imports take at most 5" in _refusal(manager_client)
    upload(manager_client, csv_upload(HEADER + "\n" + rows[: rows.index("T5")]))
    assert latest_batch().status == ImportStatus.MAPPING


def _workbook(rows=1):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Topic", "Last Name"])
    for i in range(rows):
        sheet.append([f"Topic {i}", f"Last {i}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip_bomb(unpacked=20 * MiB):
    """A real workbook whose sheet is padded with `unpacked` bytes of blanks: a few
    KB on disk, unpacking ~1,000 times larger."""
    source = zipfile.ZipFile(io.BytesIO(_workbook()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * unpacked)
            bomb.writestr(part.filename, data)
    return buffer.getvalue()


@pytest.fixture
def openpyxl_must_not_open(monkeypatch):
    """The refusal comes from the zip directory, before any part is unpacked."""

    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr("openpyxl.reader.excel.ExcelReader.read", refuse)


def test_zip_bomb_workbook_is_refused_before_unpacking(
    manager_client, openpyxl_must_not_open
):
    content = _zip_bomb()
    assert len(content) < 100_000
    upload(manager_client, SimpleUploadedFile("bomb.xlsx", content))
    refusal = _refusal(manager_client)
    assert "times its size (at most 100 times is accepted)" in refusal


def test_workbook_unpacking_past_the_limit_is_refused(
    manager_client, settings, openpyxl_must_not_open
):
    settings.LEADSITE_IMPORT_MAX_UNPACKED_SIZE = 100_000
    content = _workbook(rows=3000)
    upload(manager_client, SimpleUploadedFile("big.xlsx", content))
    refusal = _refusal(manager_client)
    assert "imports take workbooks that unpack to at most 97.7" in refusal


def test_check_stopped_mid_way_can_be_resumed(manager_client, monkeypatch):
    from leads.services.imports import batches

    upload(manager_client, csv_upload(HEADER + "\nT,L,,\n"), check=False)
    batch = latest_batch()

    def worker_killed(*args, **kwargs):
        raise SystemExit("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(batches.parsing, "inspect_table", worker_killed)
        run_queued_tasks(allow_failures=True)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKING
    page = manager_client.get(f"/leads/import/{batch.pk}/").content.decode()
    assert "Resume reading" not in page  # its worker may still be alive
    ImportBatch.objects.filter(pk=batch.pk).update(
        heartbeat_at=batch.created_at.replace(year=2000)
    )
    page = manager_client.get(f"/leads/import/{batch.pk}/").content.decode()
    assert "The worker stopped while reading the file" in page
    assert "Resume reading" in page
    manager_client.post(f"/leads/import/{batch.pk}/resume/")
    assert queued_tasks() == ["leads.tasks.check_import"]
    run_queued_tasks()
    batch.refresh_from_db()
    assert (batch.status, batch.total_rows) == (ImportStatus.MAPPING, 1)


def test_a_killed_workers_task_is_closed_as_lost_when_the_import_resumes(
    manager_client,
):
    """A worker killed mid-task leaves its task row "running" for ever; resuming
    the batch (its button or the every-minute job) records that task as failed,
    worker lost, and the new task finishes the work."""
    upload(manager_client, csv_upload(HEADER + "\nT,L,,\n"), check=False)
    batch = latest_batch()
    [task] = DBTaskResult.objects.filter(task_path="leads.tasks.check_import")
    # What SIGKILL leaves: the task claimed by a worker that never reports again.
    task.claim("killed-worker")
    ImportBatch.objects.filter(pk=batch.pk).update(
        heartbeat_at=batch.created_at.replace(year=2000)
    )
    manager_client.post(f"/leads/import/{batch.pk}/resume/")
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert task.exception_class_path == "leads.exceptions.WorkerLost"
    assert "The worker stopped while running this task" in task.traceback
    [finished] = run_queued_tasks()
    assert finished.status == TaskResultStatus.SUCCESSFUL
    batch.refresh_from_db()
    assert (batch.status, batch.total_rows) == (ImportStatus.MAPPING, 1)
    assert not DBTaskResult.objects.running().exists()


# --- Undo in the worker -------------------------------------------------------------


def _imported(client, manager, mode="update"):
    """Two existing leads the file updates, and two leads it creates."""
    first = factories.LeadFactory(
        owner_user=manager, email="a@example.org", company_name="Old A"
    )
    second = factories.LeadFactory(
        owner_user=manager, email="b@example.org", company_name="Old B"
    )
    text = (
        "subject,lastname,emailaddress1,companyname\n"
        "Ta,A,a@example.org,New A\n"
        "Tb,B,b@example.org,New B\n"
        "Tc,C,c@example.org,New C\n"
        "Td,D,d@example.org,New D\n"
    )
    upload(client, csv_upload(text))
    batch = start(client, latest_batch(), duplicate_mode=mode)
    assert (batch.created_count, batch.updated_count) == (2, 2)
    return batch, first, second


def test_undo_request_only_queues_and_the_worker_undoes(manager_client, manager):
    batch, first, second = _imported(manager_client, manager)
    response = undo(manager_client, batch, run=False)
    assert response.status_code == 302
    assert batch.status == ImportStatus.UNDOING
    assert Lead.objects.count() == 4  # nothing undone by the request
    panel = manager_client.get(f"/leads/import/{batch.pk}/progress/").content.decode()
    assert "0</strong> of 4 imported rows undone" in panel
    assert 'hx-trigger="every 1s"' in panel
    run_queued_tasks()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UNDONE
    report = batch.undo_report
    assert (report["deleted"], report["restored"], report["kept"]) == (2, 2, [])
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.company_name, second.company_name) == ("Old A", "Old B")
    assert sorted(Lead.objects.values_list("pk", flat=True)) == sorted(
        [first.pk, second.pk]
    )
    page = manager_client.get(f"/leads/import/{batch.pk}/").content.decode()
    assert "2 created leads deleted, 2 updated leads restored" in page


def test_undo_twice_is_refused_while_the_first_is_queued(manager_client, manager):
    batch, _, _ = _imported(manager_client, manager)
    undo(manager_client, batch, run=False)
    response = manager_client.post(f"/leads/import/{batch.pk}/undo/", follow=True)
    assert "already being undone" in response.content.decode()
    assert queued_tasks() == ["leads.tasks.run_undo"]


def test_undo_stopped_mid_way_resumes_after_its_last_undone_row(
    manager_client, manager, monkeypatch
):
    """Chunks of 1 row: the worker dies in the third; resuming neither restores the
    first two again nor keeps them as "changed since the import"."""
    from leads.services.imports import undo as undoing

    batch, first, second = _imported(manager_client, manager)
    monkeypatch.setattr(undoing, "UNDO_CHUNK", 1)
    real = undoing._undo_rows
    calls = []

    def die_in_third_chunk(rows, report):
        calls.append(rows[0].line)
        if len(calls) == 3:
            raise SystemExit("worker killed")
        return real(rows, report)

    monkeypatch.setattr(undoing, "_undo_rows", die_in_third_chunk)
    undo(manager_client, batch, run=False)
    run_queued_tasks(allow_failures=True)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UNDOING
    assert (batch.undo_report["done"], batch.undo_report["restored"]) == (2, 2)
    assert Lead.objects.count() == 4  # the third chunk's delete rolled back
    ImportBatch.objects.filter(pk=batch.pk).update(
        heartbeat_at=batch.created_at.replace(year=2000)
    )
    page = manager_client.get(f"/leads/import/{batch.pk}/").content.decode()
    assert "The worker stopped after undoing row 3" in page
    monkeypatch.setattr(undoing, "_undo_rows", real)
    manager_client.post(f"/leads/import/{batch.pk}/resume/")
    assert queued_tasks() == ["leads.tasks.run_undo"]
    run_queued_tasks()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UNDONE
    report = batch.undo_report
    assert (report["deleted"], report["restored"], report["kept"]) == (2, 2, [])
    assert Lead.objects.count() == 2
