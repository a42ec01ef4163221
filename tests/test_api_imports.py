"""Imports through the REST API: upload, start, undo and resume as on the import
pages, each request only storing the file or queuing the worker's next step
(tests/task_worker.py runs the queue); importers only, scope, tokens."""

import datetime
import json

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import ApiToken, TokenScope
from accounts.permissions import SALES_MANAGER
from accounts.services.tokens import create_api_token, revoke_api_token
from leads.models import ImportBatch, ImportStatus, Lead
from leadsite.core.middleware import FORM_ROOM
from leadsite.core.services import service_context
from tests import factories
from tests.support import snapshot, user_in
from tests.task_worker import DATABASE_TASKS, queued_tasks, run_queued_tasks

LIST = "/api/imports"
CSV = (
    "subject,lastname,emailaddress1,companyname\n"
    "Fleet,Okafor,ada@example.org,Contoso\n"
    "Seats,Lund,bo@example.org,Fabrikam\n"
)


@pytest.fixture(autouse=True)
def _tasks_in_the_database(settings):
    settings.TASKS = DATABASE_TASKS


def _csv(text=CSV, name="leads.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _url(batch, action=""):
    return f"{LIST}/{batch.pk}" + (f"/{action}" if action else "")


def _post(client, url, data=None, **headers):
    return client.post(
        url, json.dumps(data or {}), content_type="application/json", headers=headers
    )


def _rows():
    """Every app row but the tokens' (a token records when it was last used)."""
    rows = snapshot()
    rows.pop("accounts.ApiToken")
    return rows


def _uploaded(client, text=CSV):
    """Upload through the API and let the worker read the file."""
    response = client.post(LIST, {"file": _csv(text)})
    assert response.status_code == 201, response.json()
    run_queued_tasks()
    return ImportBatch.objects.get(pk=response.json()["id"])


def _finished_batch(by):
    """A finished import made by `by` (its row as the worker leaves it)."""
    with service_context("tests.api_imports"):
        return ImportBatch.objects.create(
            created_by=by,
            file="imports/api.csv",
            original_name="api.csv",
            file_format="csv",
            headers=["subject", "lastname"],
            total_rows=1,
            status=ImportStatus.DONE,
        )


# --- the whole way through ------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "administrator"])
def test_upload_start_and_undo_each_queue_the_workers_step(request, client, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(LIST, {"file": _csv()})
    assert response.status_code == 201, response.json()
    body = response.json()
    batch = ImportBatch.objects.get(pk=body["id"])
    assert response["Location"] == _url(batch)
    assert (body["status"], body["headers"], body["total_rows"]) == ("checking", [], 0)
    assert queued_tasks() == ["leads.tasks.check_import"]  # the request read nothing
    run_queued_tasks()

    body = client.get(_url(batch)).json()
    assert body["status"] == "mapping"
    assert body["headers"] == ["subject", "lastname", "emailaddress1", "companyname"]
    assert body["mapping"] == {
        "0": "subject",
        "1": "last_name",
        "2": "email",
        "3": "company_name",
    }
    assert body["total_rows"] == 2

    response = _post(client, _url(batch, "start"), {"duplicate_mode": "flag"})
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "queued"
    assert queued_tasks() == ["leads.tasks.run_import"]
    assert not Lead.objects.exists()
    run_queued_tasks()

    body = client.get(_url(batch)).json()
    assert (body["status"], body["created_count"], body["duplicate_mode"]) == (
        "done",
        2,
        "flag",
    )
    assert body["progress"]["can_undo"] is True
    assert body["progress"]["percent"] == 100
    assert set(Lead.objects.values_list("last_name", flat=True)) == {"Okafor", "Lund"}

    response = _post(client, _url(batch, "undo"))
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "undoing"
    assert queued_tasks() == ["leads.tasks.run_undo"]
    run_queued_tasks()
    assert client.get(_url(batch)).json()["status"] == "undone"
    assert not Lead.objects.exists()

    response = _post(client, _url(batch, "undo"))
    assert response.status_code == 409
    assert response.json()["detail"] == "This import was already undone."


def test_start_takes_the_mapping_page_choices(manager_client, manager, rep):
    batch = _uploaded(manager_client, "Topic,Surname,Company\nFleet,Okafor,Contoso\n")
    response = _post(
        manager_client,
        _url(batch, "start"),
        {
            "mapping": {"1": "last_name", "2": "company_name"},
            "fills": {"subject": "{company_name} deal"},
            "owner": rep.pk,
        },
    )
    assert response.status_code == 202, response.json()
    run_queued_tasks()
    lead = Lead.objects.get()
    assert (lead.subject, lead.last_name, lead.owner_user) == (
        "Contoso deal",
        "Okafor",
        rep,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mapping": {"0": "last_name", "1": "last_name"}}, "mapping.1"),
        ({"mapping": {"7": "email"}}, "mapping"),
        ({"mapping": {"0": "password"}}, "mapping.0"),
        ({"mapping": {"1": "last_name"}, "fills": {}}, "fills.subject"),
        ({"fills": {"city": "Oslo"}}, "fills"),
        ({"fills": {"subject": "{password}"}, "mapping": {"1": "last_name"}}, None),
        ({"duplicate_mode": "merge"}, "duplicate_mode"),
        ({"owner": 999999}, "owner"),
    ],
)
def test_choices_the_mapping_page_refuses_are_a_400(manager_client, body, field):
    batch = _uploaded(manager_client)
    before = snapshot()
    response = _post(manager_client, _url(batch, "start"), body)
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    if field:
        assert field in errors, errors
    assert snapshot() == before
    assert queued_tasks() == []


def test_a_batch_not_waiting_cannot_start(manager_client, manager):
    response = manager_client.post(LIST, {"file": _csv()})
    batch = ImportBatch.objects.get(pk=response.json()["id"])
    response = _post(manager_client, _url(batch, "start"))
    assert response.status_code == 409
    assert "still being read" in response.json()["detail"]
    done = _finished_batch(manager)
    response = _post(manager_client, _url(done, "start"))
    assert response.status_code == 409
    assert response.json()["detail"] == "This import has already started."


def test_undo_and_resume_refuse_as_the_page(manager_client, manager):
    batch = _uploaded(manager_client)
    before = snapshot()
    response = _post(manager_client, _url(batch, "undo"))
    assert response.status_code == 409
    assert response.json()["detail"] == "This import has not started: nothing to undo."
    response = _post(manager_client, _url(batch, "resume"))
    assert response.status_code == 409
    assert response.json()["detail"] == "This import is not interrupted."
    assert snapshot() == before
    assert queued_tasks() == []


def test_an_interrupted_import_resumes(manager_client, manager):
    batch = _uploaded(manager_client)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.RUNNING,
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    assert manager_client.get(_url(batch)).json()["progress"]["interrupted"] is True
    response = _post(manager_client, _url(batch, "resume"))
    assert response.status_code == 202, response.json()
    assert queued_tasks() == ["leads.tasks.run_import"]
    run_queued_tasks()
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.DONE


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("leads.csv", b"", "The file is empty."),
        ("leads.xlsx", b"a,b\n1,2\n", "This is not an Excel workbook we can read"),
    ],
)
def test_a_file_refused_at_once_stores_nothing(
    manager_client, settings, name, content, message
):
    before = snapshot()
    response = manager_client.post(LIST, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert response.json()["errors"]["file"][0].startswith(message)
    assert snapshot() == before
    assert queued_tasks() == []


def test_a_file_the_worker_refuses_says_why(manager_client):
    batch = _uploaded(manager_client, "only a header\n")
    body = manager_client.get(_url(batch)).json()
    assert body["status"] == "refused"
    assert body["refusal"]


def test_import_files_take_the_import_limit_not_the_attachments(
    manager_client, settings
):
    settings.LEADSITE_MAX_UPLOAD_SIZE = 1024
    big = CSV + "".join(
        f"Topic {i},Last{i},l{i}@example.org,Co\n" for i in range(40_000)
    )
    assert len(big) > 1024 + FORM_ROOM
    response = manager_client.post(LIST, {"file": _csv(big)})
    assert response.status_code == 201, response.content[:300]
    limit = django_settings.LEADSITE_IMPORT_MAX_SIZE
    response = manager_client.generic(
        "POST",
        LIST,
        b"--B--\r\n",
        content_type="multipart/form-data; boundary=B",
        CONTENT_LENGTH=limit + FORM_ROOM + 1,
    )
    assert response.status_code == 413


# --- who sees which batch -------------------------------------------------------------


def test_a_rep_gets_404_on_every_import_verb_even_their_own(rep_client, rep):
    own = _finished_batch(rep)
    before = snapshot()
    assert rep_client.get(LIST).status_code == 404
    assert rep_client.post(LIST, {"file": _csv()}).status_code == 404
    assert rep_client.get(_url(own)).status_code == 404
    for action in ("start", "undo", "resume"):
        assert _post(rep_client, _url(own, action)).status_code == 404
    assert snapshot() == before
    assert queued_tasks() == []


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("manager", {"mine", "north_east"}),
        ("administrator", {"mine", "north_east", "south"}),
    ],
)
def test_batches_are_seen_down_the_unit_tree(request, client, org, manager, who, sees):
    north_east = factories.BusinessUnitFactory(name="North East", parent=org.north)
    batches = {
        "mine": _finished_batch(manager),
        "north_east": _finished_batch(
            user_in(SALES_MANAGER, username="ne", business_unit=north_east)
        ),
        "south": _finished_batch(
            user_in(SALES_MANAGER, username="sm", business_unit=org.south)
        ),
    }
    client.force_login(request.getfixturevalue(who))
    ids = {row["id"] for row in client.get(LIST).json()["results"]}
    assert ids == {batches[name].pk for name in sees}
    if "south" not in sees:
        south = batches["south"]
        before = snapshot()
        assert client.get(_url(south)).status_code == 404
        for action in ("start", "undo", "resume"):
            assert _post(client, _url(south, action)).status_code == 404
        assert snapshot() == before
        assert queued_tasks() == []


def test_anonymous_revoked_and_expired_are_401(client, manager):
    batch = _finished_batch(manager)
    revoked, revoked_key = create_api_token(user=manager, name="x", by=manager)
    revoke_api_token(token=revoked, by=manager)
    expired, expired_key = create_api_token(user=manager, name="e", by=manager)
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    before = _rows()
    for headers in (
        {},
        {"authorization": f"Bearer {revoked_key}"},
        {"authorization": f"Bearer {expired_key}"},
    ):
        assert client.get(LIST, headers=headers).status_code == 401
        assert client.get(_url(batch), headers=headers).status_code == 401
        response = client.post(LIST, {"file": _csv()}, headers=headers)
        assert response.status_code == 401
        response = _post(client, _url(batch, "undo"), **headers)
        assert response.status_code == 401
    assert _rows() == before
    assert queued_tasks() == []


def test_a_read_only_token_reads_but_may_not_import(client, manager):
    batch = _finished_batch(manager)
    _token, key = create_api_token(user=manager, name="r", by=manager)
    headers = {"authorization": f"Bearer {key}"}
    assert client.get(LIST, headers=headers).status_code == 200
    assert client.get(_url(batch), headers=headers).status_code == 200
    before = _rows()
    assert client.post(LIST, {"file": _csv()}, headers=headers).status_code == 403
    for action in ("start", "undo", "resume"):
        assert _post(client, _url(batch, action), **headers).status_code == 403
    assert _rows() == before
    _token, key = create_api_token(
        user=manager, name="w", scope=TokenScope.READ_WRITE, by=manager
    )
    response = _post(client, _url(batch, "undo"), authorization=f"Bearer {key}")
    assert response.status_code == 202


def test_list_query_count_and_cursor_pages(
    manager_client, manager, django_assert_max_num_queries
):
    for _ in range(3):
        _finished_batch(manager)
    with django_assert_max_num_queries(8) as few:
        assert len(manager_client.get(LIST).json()["results"]) == 3
    made = [_finished_batch(manager) for _ in range(20)]
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(manager_client.get(LIST).json()["results"]) == 23
    seen, url = [], LIST + "?page_size=6"
    while url:
        body = manager_client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == sorted(
        ImportBatch.objects.values_list("pk", flat=True), reverse=True
    )
    assert made[-1].pk == seen[0]
