"""A lead's timeline through the REST API: activities, notes and attachments listed
and added by role, the page's checks on every write, complete and cancel, the
guarded download, tokens, scope and query counts."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import ApiToken, TokenScope
from accounts.services.tokens import create_api_token, revoke_api_token
from leads.models import (
    Activity,
    ActivityKind,
    ActivityState,
    Attachment,
    Direction,
    Lead,
    LeadStatus,
    Note,
)
from tests import factories
from tests.support import snapshot

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
CALL = {
    "kind": ActivityKind.PHONE_CALL,
    "subject": "Intro call",
    "direction": Direction.OUTGOING,
}


def _items(lead, kind):
    return f"/api/leads/{lead.pk}/{kind}"


def _post(client, url, data=None, **headers):
    return client.post(
        url, json.dumps(data or {}), content_type="application/json", headers=headers
    )


def _upload(client, lead, name, content, **headers):
    return client.post(
        _items(lead, "attachments"),
        {"file": SimpleUploadedFile(name, content)},
        headers=headers,
    )


def _bearer(user, scope=TokenScope.READ_WRITE):
    _token, key = create_api_token(user=user, name="sync", scope=scope, by=user)
    return {"authorization": f"Bearer {key}"}


def _rows():
    """Every app row but the tokens' (a token records when it was last used)."""
    rows = snapshot()
    rows.pop("accounts.ApiToken")
    return rows


def _stored_files(settings):
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(owner_user=rep)


@pytest.fixture
def other_lead(rep2):
    return factories.LeadFactory(owner_user=rep2)


def _every_call(lead):
    """(method, url, body) for every timeline endpoint of `lead`'s items."""
    activity = factories.ActivityFactory(lead=lead, owner=lead.owner_user)
    note = factories.NoteFactory(lead=lead)
    attachment = factories.AttachmentFactory(lead=lead)
    return [
        ("get", _items(lead, "activities"), None),
        ("get", _items(lead, "notes"), None),
        ("get", _items(lead, "attachments"), None),
        ("post", _items(lead, "activities"), CALL),
        ("post", _items(lead, "notes"), {"text": "Tampered"}),
        ("get", f"/api/activities/{activity.pk}", None),
        ("post", f"/api/activities/{activity.pk}/complete", None),
        ("post", f"/api/activities/{activity.pk}/cancel", None),
        ("get", f"/api/notes/{note.pk}", None),
        ("get", f"/api/attachments/{attachment.pk}", None),
        ("get", f"/api/attachments/{attachment.pk}/download", None),
    ]


def _call(client, method, url, body, **headers):
    if method == "get":
        return client.get(url, headers=headers)
    return _post(client, url, body, **headers)


# --- who may call at all ---------------------------------------------------------


def test_anonymous_calls_are_401_problems_and_write_nothing(client, lead):
    calls = _every_call(lead)
    before = snapshot()
    for method, url, body in calls:
        response = _call(client, method, url, body)
        assert response.status_code == 401, (method, url)
        assert response["Content-Type"] == "application/problem+json"
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot() == before


def _revoked(user):
    token, key = create_api_token(user=user, name="old", by=user)
    revoke_api_token(token=token, by=user)
    return key


def _expired(user):
    token, key = create_api_token(user=user, name="old", by=user)
    past = timezone.now() - datetime.timedelta(seconds=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=past)
    return key


@pytest.mark.parametrize("make_key", [_revoked, _expired], ids=["revoked", "expired"])
def test_revoked_and_expired_tokens_are_401(client, rep, lead, make_key):
    key = make_key(rep)
    calls = _every_call(lead)
    before = _rows()
    for method, url, body in calls:
        response = _call(client, method, url, body, authorization=f"Bearer {key}")
        assert response.status_code == 401, (method, url)
    assert _rows() == before


def test_a_read_only_token_reads_but_may_not_write(client, rep, lead):
    headers = _bearer(rep, TokenScope.READ)
    calls = _every_call(lead)
    before = _rows()
    for method, url, body in calls:
        response = _call(client, method, url, body, **headers)
        assert response.status_code == (200 if method == "get" else 403), url
    response = _upload(client, lead, "offer.pdf", PDF, **headers)
    assert response.status_code == 403
    assert _rows() == before


def test_a_read_write_token_adds_and_completes(client, rep, lead):
    headers = _bearer(rep)
    response = _post(client, _items(lead, "activities"), CALL, **headers)
    assert response.status_code == 201, response.json()
    activity = Activity.objects.get(pk=response.json()["id"])
    response = _post(client, f"/api/activities/{activity.pk}/complete", **headers)
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == ActivityState.COMPLETED


# --- scope -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_items_of_a_lead_outside_scope_are_404_on_every_verb(
    request, client, other_lead, who
):
    client.force_login(request.getfixturevalue(who))
    calls = _every_call(other_lead)
    before = snapshot()
    for method, url, body in calls:
        response = _call(client, method, url, body)
        assert response.status_code == 404, (method, url)
        assert response["Content-Type"] == "application/problem+json"
    response = _upload(client, other_lead, "offer.pdf", PDF)
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_each_role_lists_a_leads_items_newest_first(request, client, lead, who):
    client.force_login(request.getfixturevalue(who))
    now = timezone.now()
    old = factories.NoteFactory(lead=lead, created_at=now - datetime.timedelta(days=2))
    new = factories.NoteFactory(lead=lead, created_at=now)
    factories.NoteFactory(lead=factories.LeadFactory(owner_user=lead.owner_user))
    activity = factories.ActivityFactory(lead=lead, owner=lead.owner_user)
    attachment = factories.AttachmentFactory(lead=lead)
    notes = client.get(_items(lead, "notes")).json()["results"]
    assert [row["id"] for row in notes] == [new.pk, old.pk]
    assert notes[0]["lead"] == lead.pk
    assert notes[0]["text"] == new.text
    activities = client.get(_items(lead, "activities")).json()["results"]
    assert [(row["id"], row["state"]) for row in activities] == [
        (activity.pk, ActivityState.OPEN)
    ]
    assert activities[0]["owner_name"] == str(lead.owner_user)
    files = client.get(_items(lead, "attachments")).json()["results"]
    assert files[0]["download_url"] == f"/api/attachments/{attachment.pk}/download"
    assert files[0]["original_name"] == "notes.txt"


@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_each_role_adds_a_note_an_activity_and_a_file(request, client, lead, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = _post(client, _items(lead, "notes"), {"title": "Call", "text": "Hi"})
    assert response.status_code == 201, response.json()
    note = Note.objects.get(pk=response.json()["id"])
    assert (note.lead, note.created_by, note.text) == (lead, user, "Hi")
    assert response["Location"] == f"/api/notes/{note.pk}"
    assert client.get(response["Location"]).json()["title"] == "Call"

    response = _post(client, _items(lead, "activities"), CALL)
    assert response.status_code == 201, response.json()
    activity = Activity.objects.get(pk=response.json()["id"])
    assert (activity.owner, activity.kind) == (user, ActivityKind.PHONE_CALL)
    assert response["Location"] == f"/api/activities/{activity.pk}"

    response = _upload(client, lead, "offer.pdf", PDF)
    assert response.status_code == 201, response.json()
    attachment = Attachment.objects.get(pk=response.json()["id"])
    assert (attachment.original_name, attachment.content_type) == (
        "offer.pdf",
        "application/pdf",
    )
    assert response["Location"] == f"/api/attachments/{attachment.pk}"


def test_notes_and_activities_on_a_closed_lead_are_kept(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, disqualified=True)
    response = _post(rep_client, _items(lead, "notes"), {"text": "Called back"})
    assert response.status_code == 201
    response = _post(rep_client, _items(lead, "activities"), CALL)
    assert response.status_code == 201


# --- the page's checks --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"kind": "phone_call", "subject": "Call"},
            "direction",
            "Say whether the call or email was incoming or outgoing.",
        ),
        (
            {"kind": "appointment", "subject": "Visit"},
            "start_at",
            "An appointment needs a start time.",
        ),
        (
            {
                "kind": "appointment",
                "subject": "Visit",
                "start_at": "2030-01-02T10:00:00Z",
                "end_at": "2030-01-02T09:00:00Z",
            },
            "end_at",
            "An appointment cannot end before it starts.",
        ),
        ({"kind": "fax", "subject": "x"}, "kind", None),
        ({"kind": "task", "subject": ""}, "subject", None),
        (
            {"kind": "task", "subject": "x", "due_at": "1800-01-01T10:00:00Z"},
            "due_at",
            None,
        ),
    ],
)
def test_an_activity_the_page_refuses_is_a_400_on_its_field(
    rep_client, lead, body, field, message
):
    before = snapshot()
    response = _post(rep_client, _items(lead, "activities"), body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert field in errors, errors
    if message:
        assert errors[field] == [message]
    assert snapshot() == before


def test_an_outgoing_call_to_a_lead_that_refuses_calls_is_refused(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, do_not_phone=True)
    before = snapshot()
    response = _post(rep_client, _items(lead, "activities"), CALL)
    assert response.status_code == 400
    assert "does not allow phone calls" in response.json()["errors"]["direction"][0]
    assert snapshot() == before
    incoming = {**CALL, "direction": Direction.INCOMING}
    assert _post(rep_client, _items(lead, "activities"), incoming).status_code == 201


def test_an_activity_logged_completed_marks_a_new_lead_contacted(rep_client, lead):
    response = _post(
        rep_client, _items(lead, "activities"), {**CALL, "completed": True}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == ActivityState.COMPLETED
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONTACTED


def test_fields_of_another_kind_are_dropped(rep_client, lead):
    body = {**CALL, "due_at": "2030-01-02T10:00:00Z", "start_at": "2030-01-02T10:00Z"}
    response = _post(rep_client, _items(lead, "activities"), body)
    assert response.status_code == 201
    assert (response.json()["due_at"], response.json()["start_at"]) == (None, None)


def test_a_note_needs_its_text(rep_client, lead):
    response = _post(rep_client, _items(lead, "notes"), {"title": "Empty"})
    assert response.status_code == 400
    assert "text" in response.json()["errors"]
    assert not Note.objects.exists()


# --- complete and cancel -------------------------------------------------------------


def test_complete_marks_the_lead_contacted_and_a_second_complete_is_409(
    rep_client, lead, rep
):
    activity = factories.ActivityFactory(lead=lead, owner=rep, subject="Call Ann")
    url = f"/api/activities/{activity.pk}/complete"
    response = _post(rep_client, url)
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == ActivityState.COMPLETED
    assert response.json()["completed_at"] is not None
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONTACTED
    before = snapshot()
    response = _post(rep_client, url)
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "“Call Ann” is no longer open; it was not completed."
    )
    response = _post(rep_client, f"/api/activities/{activity.pk}/cancel")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "“Call Ann” is no longer open; it was not canceled."
    )
    assert snapshot() == before


def test_cancel_leaves_the_lead_new(rep_client, lead, rep):
    activity = factories.ActivityFactory(lead=lead, owner=rep)
    response = _post(rep_client, f"/api/activities/{activity.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["state"] == ActivityState.CANCELED
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_complete_and_cancel_answer_only_post(rep_client, lead, rep):
    activity = factories.ActivityFactory(lead=lead, owner=rep)
    assert rep_client.get(f"/api/activities/{activity.pk}/complete").status_code == 405
    response = rep_client.delete(f"/api/activities/{activity.pk}")
    assert response.status_code == 405
    assert Activity.objects.filter(pk=activity.pk).exists()


# --- attachments -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.pdf", WINDOWS_EXE, "Files of this type"),
        ("empty.txt", b"", "The file is empty."),
        ("offer.png", PDF, "does not match its name"),
    ],
)
def test_an_upload_the_page_refuses_stores_nothing(
    rep_client, lead, settings, name, content, message
):
    before = snapshot()
    response = _upload(rep_client, lead, name, content)
    assert response.status_code == 400
    assert message in response.json()["errors"]["file"][0]
    assert snapshot() == before
    assert _stored_files(settings) == []


def test_an_upload_over_the_limit_is_refused(rep_client, lead, settings):
    settings.LEADSITE_MAX_UPLOAD_SIZE = 20
    response = _upload(rep_client, lead, "offer.pdf", PDF)
    assert response.status_code == 400
    assert "the limit is" in response.json()["errors"]["file"][0]
    assert not Attachment.objects.exists()


def test_an_upload_without_a_file_names_the_field(rep_client, lead):
    response = rep_client.post(_items(lead, "attachments"), {})
    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    response = _post(rep_client, _items(lead, "attachments"), {"file": "x"})
    assert response.status_code == 415


def test_download_streams_the_file_with_its_type(rep_client, lead):
    response = _upload(rep_client, lead, "offer.pdf", PDF)
    url = response.json()["download_url"]
    for accept in ("*/*", "application/pdf", "application/json"):
        response = rep_client.get(url, headers={"accept": accept})
        assert response.status_code == 200, accept
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == 'attachment; filename="offer.pdf"'


def test_a_file_missing_from_storage_is_404(rep_client, lead):
    attachment = factories.AttachmentFactory(lead=lead)
    attachment.file.storage.delete(attachment.file.name)
    response = rep_client.get(f"/api/attachments/{attachment.pk}/download")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_items_seen_through_the_opportunity_a_lead_became(rep, rep2, client):
    """As on the opportunity page: the lead's items are readable by whoever sees
    the opportunity it was qualified into."""
    opportunity = factories.OpportunityFactory(owner_user=rep)
    lead = factories.LeadFactory(
        owner_user=rep2, qualified=True, qualifying_opportunity=opportunity
    )
    note = factories.NoteFactory(lead=lead)
    client.force_login(rep)
    assert client.get(f"/api/notes/{note.pk}").status_code == 200
    assert client.get(_items(lead, "notes")).status_code == 404


# --- pages, fields, queries ----------------------------------------------------------


def test_cursor_pages_have_no_duplicates_and_no_gaps(rep_client, lead):
    notes = factories.NoteFactory.create_batch(7, lead=lead)
    seen, url = [], _items(lead, "notes") + "?page_size=3"
    while url:
        body = rep_client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(note.pk for note in notes)
    assert len(seen) == len(set(seen))


def test_fields_returns_only_those(rep_client, lead):
    factories.ActivityFactory(lead=lead, owner=lead.owner_user)
    row = rep_client.get(_items(lead, "activities"), {"fields": "id,state"}).json()
    assert set(row["results"][0]) == {"id", "state"}
    response = rep_client.get(_items(lead, "activities"), {"fields": "id,password"})
    assert response.status_code == 400
    assert "fields" in response.json()["errors"]


@pytest.mark.parametrize("kind", ["activities", "notes", "attachments"])
def test_list_query_count_does_not_grow_with_the_page(
    rep_client, lead, kind, django_assert_max_num_queries
):
    def make(count):
        for _ in range(count):
            if kind == "activities":
                factories.ActivityFactory(lead=lead, owner=lead.owner_user)
            elif kind == "notes":
                factories.NoteFactory(lead=lead)
            else:
                factories.AttachmentFactory(lead=lead)

    make(2)
    with django_assert_max_num_queries(8) as few:
        assert len(rep_client.get(_items(lead, kind)).json()["results"]) == 2
    make(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(rep_client.get(_items(lead, kind)).json()["results"]) == 32


def test_schema_has_the_timeline_paths(rep_client):
    schema = rep_client.get("/api/schema/", headers={"accept": "application/json"})
    paths = schema.json()["paths"]
    for path in (
        "/api/leads/{lead_pk}/activities",
        "/api/leads/{lead_pk}/notes",
        "/api/leads/{lead_pk}/attachments",
        "/api/activities/{id}/complete",
        "/api/activities/{id}/cancel",
        "/api/attachments/{id}/download",
    ):
        assert path in paths, path
    upload = paths["/api/leads/{lead_pk}/attachments"]["post"]["requestBody"]
    assert "multipart/form-data" in upload["content"]


def test_an_upload_with_an_idempotency_key_is_stored_once(rep_client, lead):
    headers = {"idempotency-key": "upload-1"}
    first = _upload(rep_client, lead, "offer.pdf", PDF, **headers)
    again = _upload(rep_client, lead, "offer.pdf", PDF, **headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Attachment.objects.count() == 1
    # Another file under the same key is another request.
    other = _upload(rep_client, lead, "offer.pdf", PDF + b"%more", **headers)
    assert other.status_code == 422
    assert Attachment.objects.count() == 1
