"""Access requests: a privacy officer finds a person by email address (now or in
the change history) and downloads everything held about them as a ZIP of JSON
files with the original attachments and a manifest (every file, its items, bytes
and SHA-256); the export is logged, never stored; other roles find no such page."""

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.permissions import PRIVACY_OFFICER
from leads.models import Attachment, LeadStatus
from leads.services.lifecycle import disqualify_lead, update_lead
from leads.services.timeline import add_attachment, add_note, log_activity
from privacy.models import AccessRequest
from privacy.selectors.people import find_by_email
from tests import factories
from tests.support import snapshot, user_in

EMAIL = "ines.oyelaran@kestrel.example"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def privacy_officer(org):
    return user_in(PRIVACY_OFFICER, username="privacy", business_unit=org.root)


@pytest.fixture
def privacy_client(privacy_officer):
    client = Client()
    client.force_login(privacy_officer)
    return client


@pytest.fixture
def person(rep):
    """A lead with history, transitions, a timeline and an attachment, and a contact
    with the same address."""
    lead = factories.LeadFactory(
        owner_user=rep,
        first_name="Ines",
        last_name="Oyelaran",
        email="old@kestrel.example",
    )
    lead = update_lead(lead=lead, by=rep, email=EMAIL, job_title="Buyer")
    add_note(record=lead, by=rep, text="Wants a demo in May.")
    log_activity(
        record=lead,
        by=rep,
        kind="phone_call",
        subject="First call",
        direction="outgoing",
        completed=True,
    )
    add_attachment(
        record=lead,
        by=rep,
        upload=SimpleUploadedFile("brief.pdf", PDF, content_type="application/pdf"),
    )
    disqualify_lead(lead=lead, by=rep, reason=LeadStatus.LOST, description="Budget cut")
    contact = factories.ContactFactory(
        owner_user=rep, first_name="Ines", last_name="Oyelaran", email=EMAIL
    )
    return lead, contact


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_search_finds_leads_and_contacts_by_address_now_and_before(
    privacy_client, person
):
    lead, contact = person
    for address in (EMAIL, EMAIL.upper(), "old@kestrel.example"):
        page = privacy_client.get("/privacy/", {"email": address})
        html = page.content.decode()
        assert page.status_code == 200
        assert f"/privacy/leads/{lead.pk}/" in html, address
    assert (
        f"/privacy/contacts/{contact.pk}/"
        in privacy_client.get("/privacy/", {"email": EMAIL}).content.decode()
    )
    nobody = privacy_client.get("/privacy/", {"email": "nobody@example.org"})
    assert (
        "No lead or contact holds or held this email address."
        in nobody.content.decode()
    )


def test_the_export_zip_holds_every_file_its_manifest_lists(
    privacy_client, privacy_officer, person
):
    lead, contact = person
    confirm = privacy_client.get(
        "/privacy/export/", {"lead": lead.pk, "contact": contact.pk, "query": EMAIL}
    )
    assert (
        confirm.status_code == 200
        and 'id="download-export"' in confirm.content.decode()
    )
    response = privacy_client.post(
        "/privacy/export/", {"lead": [lead.pk], "contact": [contact.pk], "query": EMAIL}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment;" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    data = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    names = set(archive.namelist()) - {"manifest.json"}
    assert {entry["path"] for entry in manifest["files"]} == names
    for entry in manifest["files"]:
        content = archive.read(entry["path"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"], entry["path"]
        assert len(content) == entry["bytes"]
        if entry["kind"] == "json":
            assert len(json.loads(content)) == entry["items"]
    assert manifest["records"] == {"leads": [lead.pk], "contacts": [contact.pk]}
    assert manifest["item_count"] == sum(e["items"] for e in manifest["files"])
    assert manifest["generated_by"] == privacy_officer.username

    prefix = f"leads/{lead.pk}/"
    record = json.loads(archive.read(prefix + "lead.json"))[0]
    assert (record["first_name"], record["email"], record["job_title"]) == (
        "Ines",
        EMAIL,
        "Buyer",
    )
    assert record["status_label"] == "Lost"
    history = json.loads(archive.read(prefix + "history.json"))
    assert [h["email"] for h in history][:2] == ["old@kestrel.example", EMAIL]
    transitions = json.loads(archive.read(prefix + "transitions.json"))
    assert "Budget cut" in [t["description"] for t in transitions]
    assert (
        json.loads(archive.read(prefix + "notes.json"))[0]["text"]
        == "Wants a demo in May."
    )
    assert (
        json.loads(archive.read(prefix + "activities.json"))[0]["subject"]
        == "First call"
    )
    [attachment] = json.loads(archive.read(prefix + "attachments.json"))
    assert archive.read(attachment["file_in_export"]) == PDF
    assert json.loads(archive.read(prefix + "routing.json")) == []
    contact_record = json.loads(archive.read(f"contacts/{contact.pk}/contact.json"))[0]
    assert contact_record["email"] == EMAIL

    logged = AccessRequest.objects.get()
    assert logged.requested_by == privacy_officer
    assert logged.lead_ids == [lead.pk] and logged.contact_ids == [contact.pk]
    assert logged.query == EMAIL and "Oyelaran" in logged.person
    assert logged.item_count == manifest["item_count"]
    assert logged.sha256 == hashlib.sha256(data).hexdigest()
    assert logged.size == len(data)
    assert logged.counts["notes"] == 1 and logged.counts["attachment files"] == 1
    # Nothing of the export stays on the server.
    media = Path(settings.MEDIA_ROOT)
    stored = [str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()]
    assert stored == [Attachment.objects.get().file.name], "only the attachment"


def test_consents_are_in_the_export_when_the_consent_module_is_there(
    privacy_client, rep
):
    consent = pytest.importorskip("leads.services.consent")
    from leads.models import ConsentPurpose

    lead = factories.LeadFactory(owner_user=rep, email=EMAIL)
    purpose = ConsentPurpose.objects.create(name="Newsletter", code="newsletter")
    consent.record_consent_by_user(
        person=lead, purpose=purpose, status="given", method="phone", by=rep
    )
    archive = _zip(privacy_client.post("/privacy/export/", {"lead": [lead.pk]}))
    names = archive.namelist()
    events = [
        n for n in names if n.startswith(f"leads/{lead.pk}/related/leads.consentevent")
    ]
    assert events, names
    assert json.loads(archive.read(events[0]))[0]["status"] == "given"


def test_the_record_page_offers_the_same_persons_records(privacy_client, person):
    lead, contact = person
    html = privacy_client.get(f"/privacy/leads/{lead.pk}/").content.decode()
    assert f'name="contact" value="{contact.pk}" checked' in html
    assert 'id="export-person"' in html and 'id="erase-person"' in html


def test_an_export_without_records_is_refused_and_logs_nothing(privacy_client):
    for data in ({}, {"lead": ["abc"]}, {"lead": ["99999999"]}):
        assert privacy_client.post("/privacy/export/", data).status_code == 400
    assert not AccessRequest.objects.exists()


def test_other_roles_find_no_export(rep_client, manager_client, person):
    lead, _contact = person
    before = snapshot()
    for client in (rep_client, manager_client):
        assert client.get(f"/privacy/export/?lead={lead.pk}").status_code == 404
        assert client.post("/privacy/export/", {"lead": [lead.pk]}).status_code == 404
        assert client.get(f"/privacy/leads/{lead.pk}/").status_code == 404
    assert snapshot() == before
    assert not AccessRequest.objects.exists()


def test_an_administrator_exports_too(admin_client_, person):
    lead, _contact = person
    response = admin_client_.post("/privacy/export/", {"lead": [lead.pk]})
    assert response.status_code == 200
    assert "manifest.json" in _zip(response).namelist()
    assert find_by_email(EMAIL).lead_ids == [lead.pk]
