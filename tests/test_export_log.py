"""The export log (accounts.services.audit): every way records leave LeadSite in
bulk writes one entry (who, when, what, the filter, how many rows): the lead list's
CSV download (the rows actually sent), its direct XLSX download and its background
XLSX job (when the file is built), and reads through the API's lists that reach the
threshold, in one page or following `next` links; smaller reads write nothing.
Administrators read it on a page and in the Django admin; nobody else does."""

import datetime
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from accounts.models import ApiListRead, ExportChannel, ExportedRecords, ExportLog
from accounts.services.audit import purge_api_list_reads
from leads.models import ExportJob, ExportStatus, Lead
from leads.selectors.exports import export_leads
from leads.services.exports import stream_csv_export
from tests import factories

D = datetime.timedelta(days=1)


def _body(response):
    return (
        b"".join(response.streaming_content) if response.streaming else response.content
    )


def _entry():
    entry = ExportLog.objects.get()
    return (entry.user, entry.records, entry.channel, entry.query, entry.row_count)


@pytest.fixture
def three_leads(rep):
    return [factories.LeadFactory(owner_user=rep) for _ in range(3)]


# --- files ---------------------------------------------------------------------------


def test_a_csv_download_is_logged_with_the_rows_sent(
    rep_client, rep, rep2, three_leads
):
    factories.LeadFactory(owner_user=rep2)  # outside the rep's scope
    response = rep_client.get("/leads/export/", {"view": "all", "format": "csv"})
    assert response.status_code == 200
    lines = _body(response).decode("utf-8-sig").splitlines()
    assert len(lines) == 4  # the header and the rep's three leads
    assert _entry() == (rep, ExportedRecords.LEADS, ExportChannel.CSV, "view=all", 3)


def test_a_csv_download_cut_off_by_the_browser_logs_what_went_out(rep, three_leads):
    """The stream writes its entry when it is closed, with the leads handed out."""
    queryset = export_leads(user=rep, query="view=all")
    chunks = stream_csv_export(
        queryset=queryset, by=rep, query="view=all", rows_per_chunk=2
    )
    next(chunks)  # the byte order mark
    first = next(chunks).decode()  # the header and one lead
    assert first.count("\n") == 2
    assert not ExportLog.objects.exists()
    chunks.close()
    assert ExportLog.objects.get().row_count == 1


def test_a_direct_xlsx_download_is_logged(rep_client, rep, three_leads):
    response = rep_client.get("/leads/export/", {"view": "all", "format": "xlsx"})
    assert response.status_code == 200
    _body(response)
    assert _entry() == (rep, ExportedRecords.LEADS, ExportChannel.XLSX, "view=all", 3)


def test_a_background_xlsx_export_is_logged_when_its_file_is_built(
    rep_client, rep, three_leads, settings
):
    settings.LEADSITE_EXPORT_DIRECT_MAX_ROWS = 2
    page = rep_client.get("/leads/export/", {"view": "all", "format": "xlsx"})
    assert "leads/export_start.html" in [t.name for t in page.templates]
    assert not ExportLog.objects.exists()  # offering a background job is no export
    rep_client.post("/leads/exports/", {"query": "view=all", "file_format": "xlsx"})
    job = ExportJob.objects.get()  # built inline (tests run tasks at once)
    assert job.status == ExportStatus.DONE
    assert _entry() == (rep, ExportedRecords.LEADS, ExportChannel.XLSX, "view=all", 3)


# --- the API -------------------------------------------------------------------------


@pytest.fixture
def threshold(settings):
    settings.LEADSITE_EXPORT_LOG_API_ROWS = 5


def _next(response):
    link = response.json()["next"]
    if link is None:
        return None
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def test_an_api_page_at_the_threshold_is_logged_and_its_next_pages_add_to_it(
    client, rep, threshold
):
    for _ in range(12):
        factories.LeadFactory(owner_user=rep)
    client.force_login(rep)
    first = client.get("/api/leads", {"page_size": 10, "view": "all"})
    assert len(first.json()["results"]) == 10
    assert _entry() == (
        rep,
        ExportedRecords.LEADS,
        ExportChannel.API,
        "page_size=10&view=all",
        10,
    )
    second = client.get(_next(first))
    assert len(second.json()["results"]) == 2 and _next(second) is None
    entry = ExportLog.objects.get()
    assert entry.row_count == 12 and entry.last_read_at is not None


def test_a_read_page_by_page_is_logged_once_it_reaches_the_threshold(
    client, rep, threshold
):
    """Small pages do not hide a bulk read: their rows add up along the `next` links."""
    for _ in range(7):
        factories.LeadFactory(owner_user=rep)
    client.force_login(rep)
    response = client.get("/api/leads", {"page_size": 2})
    pages = 1
    while (link := _next(response)) is not None:
        if pages == 2:
            assert not ExportLog.objects.exists()  # 4 rows so far
        response = client.get(link)
        pages += 1
    assert pages == 4
    assert ExportLog.objects.get().row_count == 7
    assert ExportLog.objects.get().query == "page_size=2"


def test_reads_below_the_threshold_write_no_entry(client, rep, threshold):
    for _ in range(4):
        factories.LeadFactory(owner_user=rep)
    client.force_login(rep)
    client.get("/api/leads")  # one page of four: nothing written at all
    assert not ApiListRead.objects.exists()
    response = client.get("/api/leads", {"page_size": 2})
    client.get(_next(response))
    assert not ExportLog.objects.exists()
    # Two pages of one read: counted together, four rows, still below five.
    assert ApiListRead.objects.get().rows == 4


def test_api_lists_of_contacts_are_logged_as_contacts(client, rep, threshold):
    for _ in range(6):
        factories.ContactFactory(owner_user=rep)
    client.force_login(rep)
    response = client.get("/api/contacts", {"page_size": 6})
    assert len(response.json()["results"]) == 6
    assert _entry()[1:3] == (ExportedRecords.CONTACTS, ExportChannel.API)


def test_the_read_bookkeeping_is_purged_after_a_day(rep, threshold, client):
    for _ in range(3):
        factories.LeadFactory(owner_user=rep)
    client.force_login(rep)
    client.get("/api/leads", {"page_size": 2})
    assert ApiListRead.objects.count() == 1
    assert purge_api_list_reads(now=timezone.now() + 2 * D) == 1
    assert not ApiListRead.objects.exists()


# --- who reads the log ---------------------------------------------------------------


@pytest.fixture
def logged(rep, manager):
    now = timezone.now()
    for user, days_ago, rows in [(rep, 0, 3), (manager, 0, 40), (rep, 10, 7)]:
        ExportLog.objects.create(
            user=user,
            records=ExportedRecords.LEADS,
            channel=ExportChannel.CSV,
            query=f"view=all&rows={rows}",
            row_count=rows,
            created_at=now - days_ago * D,
        )


def test_administrators_read_the_export_log_filtered_by_user_and_date(
    admin_client_, rep, logged
):
    page = admin_client_.get("/privacy/retention/exports/")
    assert page.status_code == 200
    html = page.content.decode()
    for rows in (3, 40, 7):
        assert f"view=all&amp;rows={rows}" in html
    mine = admin_client_.get("/privacy/retention/exports/", {"user": rep.pk}).content
    assert b"rows=40" not in mine and b"rows=3" in mine and b"rows=7" in mine
    today = timezone.localdate().isoformat()
    recent = admin_client_.get(
        "/privacy/retention/exports/", {"user": rep.pk, "date_from": today}
    ).content
    assert b"rows=3" in recent and b"rows=7" not in recent
    settings_page = admin_client_.get("/privacy/retention/").content.decode()
    assert 'href="/privacy/retention/exports/"' in settings_page


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_nobody_else_reads_the_export_log(client, request, who, logged):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/privacy/retention/exports/").status_code == 404


def test_the_admin_shows_the_log_read_only(client, administrator, logged):
    client.force_login(administrator)
    changelist = client.get("/admin/accounts/exportlog/")
    assert changelist.status_code == 200
    assert '<td class="field-row_count">40</td>' in changelist.content.decode()
    entry = ExportLog.objects.first()
    assert client.get("/admin/accounts/exportlog/add/").status_code == 403
    detail = client.get(f"/admin/accounts/exportlog/{entry.pk}/change/")
    assert detail.status_code == 200
    assert 'name="row_count"' not in detail.content.decode()  # shown, not editable
    assert Lead.objects.count() == 0
