"""CSV/XLSX import /leads/import/: upload, mapping, preview, run, report, undo.

Tasks go to the database queue, as in production: each helper checks that its
request only stored or queued the work, then runs the queue (tests/task_worker.py).
"""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.formats import date_format
from openpyxl import Workbook

from leads.models import (
    ImportBatch,
    ImportRow,
    ImportStatus,
    Lead,
    LeadSource,
    PossibleDuplicate,
)
from tests import factories
from tests.import_helpers import csv_upload as _csv
from tests.import_helpers import latest_batch as _batch
from tests.import_helpers import start as _run
from tests.import_helpers import undo as _undo
from tests.import_helpers import upload as _upload
from tests.task_worker import DATABASE_TASKS, queued_tasks, run_queued_tasks

HEADER = "subject,lastname,firstname,emailaddress1,companyname,leadsourcecode"


@pytest.fixture(autouse=True)
def _tasks_in_the_database(settings):
    settings.TASKS = DATABASE_TASKS


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom"),
    [
        ("utf-8", ",", False),
        ("utf-8", ";", True),
        ("cp1252", "\t", False),
        ("latin-1", ";", False),
    ],
)
def test_import_reads_each_encoding_and_delimiter(
    manager_client, manager, encoding, delimiter, bom
):
    text = (
        HEADER.replace(",", delimiter)
        + "\n"
        + delimiter.join(
            ["Café bikes", "Müller", "Zoë", "zoe@example.org", "Ærø AS", "Trade Show"]
        )
        + "\n"
    )
    raw = text.encode(encoding)
    if bom:
        raw = b"\xef\xbb\xbf" + raw
    response = _upload(manager_client, SimpleUploadedFile("x.csv", raw))
    assert response.status_code == 302
    batch = _run(manager_client, _batch())
    assert batch.status == ImportStatus.DONE
    lead = Lead.objects.get()
    assert (lead.subject, lead.last_name, lead.first_name) == (
        "Café bikes",
        "Müller",
        "Zoë",
    )
    assert lead.company_name == "Ærø AS"
    assert lead.source == LeadSource.TRADE_SHOW
    assert lead.owner_user == manager


def test_import_reads_xlsx(manager_client):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Topic", "Last Name", "Email", "Lead Source", "No. of Employees"])
    sheet.append(["Excel lead", "Ng", "ng@example.org", 8, 250])
    buffer = io.BytesIO()
    workbook.save(buffer)
    _upload(manager_client, SimpleUploadedFile("leads.xlsx", buffer.getvalue()))
    _run(manager_client, _batch())
    lead = Lead.objects.get()
    assert (lead.subject, lead.last_name, lead.email) == (
        "Excel lead",
        "Ng",
        "ng@example.org",
    )
    assert lead.source == LeadSource.WEB
    assert lead.number_of_employees == 250


def test_import_matches_display_names_and_accepts_codes_or_labels(manager_client):
    text = (
        "Topic,Last Name,E-mail,Lead Source,Rating,Industry\n"
        "A,One,a@example.org,7,Hot,16\n"
        "B,Two,b@example.org,trade show,1,Financial\n"
    )
    _upload(manager_client, _csv(text))
    batch = _batch()
    assert set(batch.mapping.values()) == {
        "subject",
        "last_name",
        "email",
        "source",
        "rating",
        "industry",
    }
    _run(manager_client, batch)
    for lead in Lead.objects.all():
        assert (lead.source, lead.rating, lead.industry) == (7, 1, 16)


def test_preview_lists_invalid_rows_with_line_column_reason(manager_client, manager):
    factories.LeadFactory(owner_user=manager, email="known@example.org")
    text = (
        "subject,lastname,emailaddress1,leadsourcecode,revenue,estimatedclosedate,donotemail\n"
        "Good,Fine,ok@example.org,Web,100,2027-01-31,no\n"
        "Bad source,X,x@example.org,Carrier pigeon,,,\n"
        ",NoTopic,,,,,\n"
        "Bad email,Y,not-an-email,,,,\n"
        "Bad money,Z,,,lots,,\n"
        "Bad date,W,,,,31/31/2027,\n"
        "Bad flag,V,,,,,maybe\n"
        "Known,K,known@example.org,,,,\n"
    )
    _upload(manager_client, _csv(text))
    response = manager_client.get(f"/leads/import/{_batch().pk}/")
    preview = response.context["preview"]
    reasons = {(line, column): reason for line, column, reason in preview.invalid}
    # A source no product knows is no reason to drop the row: it is listed with
    # what it becomes.
    assert (3, "leadsourcecode") not in reasons
    assert preview.unknown_list == [
        ("leadsourcecode", "Carrier pigeon", 1, "no source")
    ]
    assert reasons[(4, "subject")] == "This cell is empty."
    assert "valid email" in reasons[(5, "emailaddress1")]
    assert "not a number" in reasons[(6, "revenue")]
    assert "not a date" in reasons[(7, "estimatedclosedate")]
    assert "not yes or no" in reasons[(8, "donotemail")]
    assert preview.valid_rows == 3
    assert preview.match_count == 1
    assert [row.lead.subject for row in preview.sample] == [
        "Good",
        "Bad source",
        "Known",
    ]
    assert Lead.objects.count() == 1  # nothing written by the preview


def test_import_reports_row_errors_and_imports_the_rest(manager_client):
    text = HEADER + "\nOk,A,,a@example.org,,Web\nBad,B,,not-an-email,,Web\n"
    _upload(manager_client, _csv(text))
    batch = _run(manager_client, _batch())
    assert (batch.created_count, batch.failed_count) == (1, 1)
    report = b"".join(
        manager_client.get(f"/leads/import/{batch.pk}/report.csv").streaming_content
    )
    assert "3,Failed,," in report.decode("utf-8-sig")
    page = manager_client.get(f"/leads/import/{batch.pk}/").content.decode()
    assert "Enter a valid email address." in page


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"", "empty.csv", "file is empty"),
        (b"GIF89a", "image.xlsx", "not an Excel workbook"),
    ],
)
def test_bad_files_are_refused_at_upload(manager_client, content, name, reason):
    """What the size and first bytes show is refused by the upload request."""
    response = _upload(manager_client, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"subject,lastname\n", "header.csv", "no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "image.csv", "not a table"),
        (b"PK\x03\x04broken", "broken.xlsx", "not a table"),
    ],
)
def test_bad_files_are_refused_by_the_worker_with_the_reason(
    manager_client, content, name, reason
):
    response = _upload(manager_client, SimpleUploadedFile(name, content))
    assert response.status_code == 302
    batch = _batch()
    assert batch.status == ImportStatus.REFUSED
    assert reason in batch.refusal
    page = manager_client.get(f"/leads/import/{batch.pk}/").content.decode()
    assert reason in page
    assert "Upload another file" in page
    assert 'hx-trigger="every 1s"' not in page
    assert not ImportRow.objects.exists()


def test_oversized_file_is_refused(manager_client, settings):
    settings.LEADSITE_IMPORT_MAX_SIZE = 100
    response = _upload(manager_client, _csv(HEADER + "\n" + "T,L,,,,\n" * 20))
    assert "imports take files up to 100" in response.content.decode()


def test_reps_cannot_import(rep_client):
    assert rep_client.get("/leads/import/").status_code == 404
    assert rep_client.post("/leads/import/", {"file": _csv(HEADER)}).status_code == 404


def _existing_and_file(manager):
    existing = factories.LeadFactory(
        owner_user=manager,
        email="same@example.org",
        company_name="Old Co",
        subject="Old",
    )
    text = (
        HEADER
        + "\nNew topic,Same,,same@example.org,New Co,Web\nFresh,New,,new@example.org,,Web\n"
    )
    return existing, text


def test_duplicate_mode_skip(manager_client, manager):
    existing, text = _existing_and_file(manager)
    _upload(manager_client, _csv(text))
    batch = _run(manager_client, _batch(), duplicate_mode="skip")
    assert (batch.created_count, batch.skipped_count) == (1, 1)
    existing.refresh_from_db()
    assert existing.company_name == "Old Co"


def test_duplicate_mode_flag(manager_client, manager):
    existing, text = _existing_and_file(manager)
    _upload(manager_client, _csv(text))
    batch = _run(manager_client, _batch(), duplicate_mode="flag")
    assert batch.created_count == 2
    flagged = Lead.objects.get(company_name="New Co")
    assert PossibleDuplicate.objects.filter(
        lead=flagged, matched_lead=existing
    ).exists()


def test_duplicate_mode_update_and_undo_restores(manager_client, manager):
    existing, text = _existing_and_file(manager)
    _upload(manager_client, _csv(text))
    batch = _run(manager_client, _batch(), duplicate_mode="update")
    assert (batch.created_count, batch.updated_count) == (1, 1)
    existing.refresh_from_db()
    assert (existing.company_name, existing.subject) == ("New Co", "New topic")
    response = _undo(manager_client, batch)
    assert response.status_code == 302
    existing.refresh_from_db()
    assert (existing.company_name, existing.subject) == ("Old Co", "Old")
    assert list(Lead.objects.all()) == [existing]
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UNDONE


def test_undo_keeps_leads_worked_on_since(manager_client, manager):
    from leads.services.lifecycle import mark_contacted, update_lead

    existing, text = _existing_and_file(manager)
    text += "Third,Other,,third@example.org,,Web\n"
    _upload(manager_client, _csv(text))
    batch = _run(manager_client, _batch(), duplicate_mode="update")
    worked = Lead.objects.get(last_name="New")
    mark_contacted(lead=worked, by=manager)
    update_lead(lead=existing, by=manager, job_title="CEO")
    _undo(manager_client, batch)
    batch.refresh_from_db()
    kept = {k["lead"]: k["why"] for k in batch.undo_report["kept"]}
    assert set(kept) == {worked.pk, existing.pk}
    assert "after the import" in kept[worked.pk]
    # Written as every date of the site is (leadsite/formats/en/formats.py).
    worked.refresh_from_db()
    when = date_format(timezone.localtime(worked.modified_at), "SHORT_DATETIME_FORMAT")
    assert kept[worked.pk] == f"changed on {when} after the import"
    assert re.fullmatch(
        r"changed on \w{3} \d+, \d{4}, \d+:\d\d [AP]M after the import", kept[worked.pk]
    )
    assert not Lead.objects.filter(last_name="Other").exists()
    existing.refresh_from_db()
    assert existing.company_name == "New Co"  # kept as edited
    page = manager_client.get(f"/leads/import/{batch.pk}/").content.decode()
    assert "Kept because someone worked on them" in page


def test_import_to_chosen_owner(manager_client, manager, org):
    from tests.support import user_in

    other = user_in("Sales rep", username="chosen", business_unit=org.north)
    _upload(manager_client, _csv(HEADER + "\nT,L,,l@example.org,,\n"))
    _run(manager_client, _batch(), owner=other.pk)
    assert Lead.objects.get().owner_user == other


def test_worker_crash_mid_batch_can_be_resumed_without_duplicates(
    manager_client, monkeypatch, settings
):
    from leads import imports as parsing
    from leads.services.imports import processing as services

    monkeypatch.setattr(parsing.rows, "CHUNK_ROWS", 10)
    rows = "".join(f"T{i},L{i},,l{i}@example.org,,Web\n" for i in range(35))
    _upload(manager_client, _csv(HEADER + "\n" + rows))
    batch = _batch()
    real = services._process_row
    seen = []

    def die_on_row_25(row, batch, match):
        seen.append(row.line)
        if len(seen) == 25:
            raise SystemExit("worker killed")  # mid-chunk: rows 21-24 roll back
        return real(row, batch, match)

    monkeypatch.setattr(services, "_process_row", die_on_row_25)
    # The task fails; the batch stays as committed.
    _run(manager_client, batch, allow_failures=True)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.RUNNING
    assert batch.rows_done == 20
    assert Lead.objects.count() == 20
    monkeypatch.setattr(services, "_process_row", real)
    ImportBatch.objects.filter(pk=batch.pk).update(heartbeat_at=None)
    page = manager_client.get(f"/leads/import/{batch.pk}/").content.decode()
    assert "Resume import" in page
    manager_client.post(f"/leads/import/{batch.pk}/resume/")
    assert queued_tasks() == ["leads.tasks.run_import"]
    run_queued_tasks()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DONE
    assert Lead.objects.count() == 35
    assert ImportRow.objects.filter(batch=batch).count() == 35
    assert batch.created_count == 35


def test_interrupted_batch_can_be_undone(manager_client, monkeypatch):
    from leads import imports as parsing
    from leads.services.imports import processing as services

    monkeypatch.setattr(parsing.rows, "CHUNK_ROWS", 5)
    rows = "".join(f"T{i},L{i},,u{i}@example.org,,Web\n" for i in range(12))
    _upload(manager_client, _csv(HEADER + "\n" + rows))
    real = services._process_row
    seen = []

    def die_on_row_8(row, batch, match):
        seen.append(row.line)
        if len(seen) == 8:
            raise SystemExit("worker killed")
        return real(row, batch, match)

    monkeypatch.setattr(services, "_process_row", die_on_row_8)
    batch = _run(manager_client, _batch(), allow_failures=True)
    assert Lead.objects.count() == 5
    # While the worker may still be alive, undo waits.
    response = _undo(manager_client, batch, follow=True)
    assert "still running" in response.content.decode()
    ImportBatch.objects.filter(pk=batch.pk).update(heartbeat_at=None)
    _undo(manager_client, batch)
    assert batch.status == ImportStatus.UNDONE
    assert not Lead.objects.exists()


def test_large_file_preview_checks_the_first_rows_and_says_so(
    manager_client, monkeypatch
):
    from leads import imports as parsing
    from leads.selectors import imports as reading

    monkeypatch.setattr(reading.batches, "PREVIEW_CHECK_LIMIT", 10)
    monkeypatch.setattr(parsing.rows, "CHUNK_ROWS", 10)
    rows = "".join(f"T{i},L{i},,p{i}@example.org,,Web\n" for i in range(25))
    _upload(manager_client, _csv(HEADER + "\n" + rows))
    response = manager_client.get(f"/leads/import/{_batch().pk}/")
    assert "checked the first 10 of 25 rows" in response.content.decode()
    batch = _run(manager_client, _batch())
    assert batch.created_count == 25


def test_import_pages_run_a_constant_number_of_queries(
    manager_client, django_assert_max_num_queries
):
    rows = "".join(f"T{i},L{i},,not-an-email-{i},,Web\n" for i in range(30))
    _upload(manager_client, _csv(HEADER + "\n" + rows))
    batch = _run(manager_client, _batch())
    assert batch.failed_count == 30
    with django_assert_max_num_queries(12):
        manager_client.get(f"/leads/import/{batch.pk}/")
    with django_assert_max_num_queries(12):
        manager_client.get(f"/leads/import/{batch.pk}/progress/")
    with django_assert_max_num_queries(12):
        manager_client.get("/leads/import/")


def test_progress_page_polls_until_finished(manager_client):
    _upload(manager_client, _csv(HEADER + "\nT,L,,x@example.org,,Web\n"))
    batch = _batch()
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.QUEUED)
    page = manager_client.get(f"/leads/import/{batch.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in page
    batch.refresh_from_db()
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.MAPPING)
    batch = _run(manager_client, batch)
    page = manager_client.get(f"/leads/import/{batch.pk}/progress/").content.decode()
    assert "hx-trigger" not in page
    assert "Download report" in page


def test_imported_and_undone_leads_are_in_the_change_history(manager_client, manager):
    """Bulk-inserted leads still get a history row each, through "import"; so does
    their deletion by undo."""
    from leadsite.core.history import CHANNELS

    _upload(
        manager_client, _csv(HEADER + "\nT,L,,h@example.org,,\nU,M,,i@example.org,,\n")
    )
    batch = _run(manager_client, _batch())
    leads = list(Lead.objects.order_by("pk"))
    assert len(leads) == 2
    for lead in leads:
        created = lead.history.get(history_type="+")
        assert (created.history_user, created.history_change_reason) == (
            manager,
            "import",
        )
    assert CHANNELS["import"] == "Import"
    _undo(manager_client, batch)
    assert not Lead.objects.exists()
    removed = Lead.history.filter(history_type="-")
    assert removed.count() == 2
    assert set(removed.values_list("history_change_reason", flat=True)) == {"import"}
