"""Large XLSX exports built in the background: the request answers at once,
the worker writes the file with the list's scope and filters, a progress page polls,
and only the requester downloads the file, for a limited time."""

import datetime
import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from leads import exports
from leads.models import ExportJob, ExportStatus, LeadSource
from leads.selectors.exports import export_leads
from leads.services.exports import build_export, purge_expired_exports, start_export
from tests import factories

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WEB = int(LeadSource.WEB)


@pytest.fixture
def small_limit(settings):
    """More than three leads make an XLSX export a background one."""
    settings.LEADSITE_EXPORT_DIRECT_MAX_ROWS = 3


@pytest.fixture
def real_worker(settings):
    """Tasks go to the database queue, as in production, and wait for the worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker():
    """What production runs (`manage.py db_worker`), until the queue is empty."""
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0
    )


def _sheet(content):
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def _body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _start(client, query="view=all", file_format="xlsx"):
    return client.post("/leads/exports/", {"query": query, "file_format": file_format})


def test_big_xlsx_export_answers_at_once_with_a_page_that_starts_it(
    rep_client, rep, small_limit, django_assert_max_num_queries
):
    for _ in range(5):
        factories.LeadFactory(owner_user=rep)
    with django_assert_max_num_queries(12):
        response = rep_client.get(
            "/leads/export/",
            {"view": "all", "sort": "name", "format": "xlsx", "page": "2"},
        )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "More than 3 leads match" in html
    # The list's filters and order go with the job; the page and format do not.
    assert 'value="view=all&amp;sort=name"' in html
    assert "Build the Excel file" in html
    assert not ExportJob.objects.exists()  # a GET starts nothing


def test_xlsx_export_up_to_the_limit_still_downloads_at_once(
    rep_client, rep, small_limit
):
    for _ in range(3):
        factories.LeadFactory(owner_user=rep)
    response = rep_client.get("/leads/export/", {"view": "all", "format": "xlsx"})
    assert response["Content-Type"] == XLSX
    assert len(_sheet(_body(response))) == 4


def test_worker_builds_every_in_scope_lead_and_none_outside(
    transactional_db, client, rep, rep2, real_worker, settings
):
    """The job stores the query; the worker applies it again for the job's user:
    the file holds the rep's web leads, not their other lead nor another unit's."""
    mine = {factories.LeadFactory(owner_user=rep, source=WEB).pk for _ in range(4)}
    factories.LeadFactory(owner_user=rep, source=LeadSource.OTHER)
    factories.LeadFactory(owner_user=rep2, source=WEB)
    client.force_login(rep)

    response = _start(client, query=f"view=all&source={WEB}&page=3&format=csv")
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/leads/exports/{job.pk}/"
    # The request built nothing: the job waits for the worker.
    assert (job.status, job.rows_done, job.file.name) == (ExportStatus.QUEUED, 0, "")
    assert job.query == f"view=all&source={WEB}"
    page = client.get(response["Location"]).content.decode()
    assert "Waiting for the worker" in page
    assert f'hx-get="/leads/exports/{job.pk}/progress/"' in page

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.rows_done, job.total_rows) == (ExportStatus.DONE, 4, 4)
    panel = client.get(f"/leads/exports/{job.pk}/progress/").content.decode()
    assert "hx-get" not in panel  # finished: the page stops polling
    assert f'href="/leads/exports/{job.pk}/download/"' in panel
    download = client.get(f"/leads/exports/{job.pk}/download/")
    assert download["Content-Type"] == XLSX
    assert "attachment" in download["Content-Disposition"]
    rows = _sheet(_body(download))
    assert list(rows[0]) == exports.HEADER
    assert {int(row[0]) for row in rows[1:]} == mine
    # The same file as a direct export of the same list.
    settings.LEADSITE_EXPORT_DIRECT_MAX_ROWS = 100
    direct = client.get(
        "/leads/export/", {"view": "all", "source": WEB, "format": "xlsx"}
    )
    assert _sheet(_body(direct)) == rows

    client.force_login(rep2)
    for url in ["", "progress/", "download/"]:
        assert client.get(f"/leads/exports/{job.pk}/{url}").status_code == 404


@pytest.mark.parametrize("other", ["rep2", "manager", "administrator"])
def test_only_the_requester_sees_or_downloads_an_export(client, request, rep, other):
    factories.LeadFactory(owner_user=rep)
    job = build_export(
        job_id=start_export(by=rep, query="view=all", file_format="xlsx").pk
    )
    assert job.status == ExportStatus.DONE
    client.force_login(rep)
    assert client.get(f"/leads/exports/{job.pk}/download/").status_code == 200
    client.force_login(request.getfixturevalue(other))
    for url in ["", "progress/", "download/"]:
        assert client.get(f"/leads/exports/{job.pk}/{url}").status_code == 404
    assert (
        f"/leads/exports/{job.pk}/"
        not in client.get("/leads/exports/").content.decode()
    )


def test_write_xlsx_reports_progress_while_it_writes(rep):
    for _ in range(5):
        factories.LeadFactory(owner_user=rep)
    seen = []
    with io.BytesIO() as handle:
        written = exports.write_xlsx(
            export_leads(user=rep, query="view=all"),
            handle,
            progress=seen.append,
            every=2,
        )
    assert (written, seen) == (5, [2, 4])


def test_files_are_removed_after_the_retention_period_on_the_next_run(
    rep_client, rep, settings
):
    settings.LEADSITE_EXPORT_RETENTION_HOURS = 24
    factories.LeadFactory(owner_user=rep)
    _start(rep_client)  # tasks run inline in tests: built at once
    old = ExportJob.objects.get()
    name = old.file.name
    assert old.status == ExportStatus.DONE and default_storage.exists(name)
    assert purge_expired_exports() == 0  # still within its time
    ExportJob.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - datetime.timedelta(hours=25)
    )

    _start(rep_client)  # the next run removes the expired file first

    old.refresh_from_db()
    assert old.status == ExportStatus.EXPIRED and not old.file
    assert not default_storage.exists(name)
    assert rep_client.get(f"/leads/exports/{old.pk}/download/").status_code == 404
    page = rep_client.get(f"/leads/exports/{old.pk}/").content.decode()
    assert "The file was removed" in page
    assert "Export again" in page
    newest = ExportJob.objects.exclude(pk=old.pk).get()
    assert newest.status == ExportStatus.DONE


def test_an_export_of_a_deactivated_user_fails_without_a_file(rep):
    factories.LeadFactory(owner_user=rep)
    job = start_export(by=rep, query="view=all")
    rep.is_active = False
    rep.save()
    with pytest.raises(PermissionError):
        build_export(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and not job.file
    assert "inactive" in job.error


def test_a_stopped_worker_shows_as_interrupted_with_export_again(rep_client, rep):
    job = start_export(by=rep, query="view=all")
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING,
        rows_done=2000,
        total_rows=9000,
        started_at=timezone.now() - datetime.timedelta(minutes=10),
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    html = rep_client.get(f"/leads/exports/{job.pk}/").content.decode()
    assert "Interrupted" in html
    assert "The worker stopped after 2,000 leads" in html
    assert "hx-get" not in html
    assert "Export again" in html


def test_a_second_click_while_the_export_waits_starts_no_second_one(
    client, rep, real_worker
):
    factories.LeadFactory(owner_user=rep)
    client.force_login(rep)
    first = _start(client, query="view=all&page=2")
    second = _start(client, query="view=all")
    assert first["Location"] == second["Location"]
    assert ExportJob.objects.count() == 1
    assert _start(client, query="view=open")["Location"] != first["Location"]


def test_a_start_with_an_unknown_format_writes_nothing(rep_client):
    response = _start(rep_client, file_format="pdf")
    assert response.status_code == 200
    assert "The export could not start" in response.content.decode()
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("role", ["rep", "manager", "administrator"])
def test_export_pages_render_for_every_role(client, request, role, small_limit):
    user = request.getfixturevalue(role)
    for _ in range(4):
        factories.LeadFactory(owner_user=user)
    client.force_login(user)
    start = client.get("/leads/export/", {"view": "all", "format": "xlsx"})
    assert (
        start.status_code == 200 and b"<h1>Export leads to Excel</h1>" in start.content
    )
    assert client.get("/leads/exports/").status_code == 200
    response = _start(client)
    job = ExportJob.objects.get(created_by=user)
    assert response["Location"] == job.get_absolute_url()
    for url in ["", "progress/", "download/"]:
        assert client.get(f"/leads/exports/{job.pk}/{url}").status_code == 200, url
    listing = client.get("/leads/exports/").content.decode()
    assert job.download_name in listing
    assert len(_sheet(_body(client.get(f"/leads/exports/{job.pk}/download/")))) == 5


def test_export_pages_send_visitors_to_log_in(client, rep):
    job = start_export(by=rep, query="view=all")
    for url in [
        "/leads/exports/",
        *[f"/leads/exports/{job.pk}/{u}" for u in ["", "progress/", "download/"]],
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_lead_list_offers_the_excel_export_with_its_filters(rep_client):
    response = rep_client.get("/leads/", {"view": "open", "q": "x"})
    assert (
        b'href="/leads/export/?format=xlsx&amp;view=open&amp;q=x"' in response.content
    )
