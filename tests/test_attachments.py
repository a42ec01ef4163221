"""Attachments: content-checked uploads, generated storage names, scoped downloads."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leads.attachments import check_upload
from leads.models import Attachment
from leads.services.timeline import add_attachment
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def _docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def _upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _stored_files(settings):
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(owner_user=rep)


@pytest.mark.parametrize(
    "name,data,expected",
    [
        ("offer.pdf", PDF, "application/pdf"),
        ("logo.png", PNG, "image/png"),
        (
            "proposal.docx",
            _docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("notes.txt", "Grüße, plain text\n".encode(), "text/plain"),
        ("export.csv", b"name,amount\nContoso,10\n", "text/csv"),
    ],
)
def test_allowed_types_are_detected_by_content(name, data, expected):
    checked = check_upload(_upload(name, data, content_type="application/x-whatever"))
    assert checked.content_type == expected
    assert checked.original_name == name
    assert checked.size == len(data)


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("report.pdf", WINDOWS_EXE, "application/x-msdownload"),
        ("report.pdf", ELF, "application/x-executable"),
        ("notes.txt", b"text\x00with a NUL", "not allowed"),
        ("notes.txt", b"\xff\xfe\xfa not utf-8", "not allowed"),
        ("script.sh", b"#!/bin/sh\nrm -rf /\n", "not allowed"),
        ("logo.pdf", PNG, "does not match its name"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_refused_uploads_say_why(name, data, reason):
    with pytest.raises(ValidationError) as error:
        check_upload(_upload(name, data, content_type="application/pdf"))
    assert reason in " ".join(error.value.messages)


def test_oversize_file_is_refused(settings):
    settings.LEADSITE_MAX_UPLOAD_SIZE = 100
    with pytest.raises(ValidationError) as error:
        check_upload(_upload("big.pdf", PDF + b"0" * 200))
    assert "limit is 100" in " ".join(error.value.messages)


def test_original_name_loses_its_path():
    checked = check_upload(_upload("../../etc/offer.pdf", PDF))
    assert checked.original_name == "offer.pdf"


def test_upload_through_page_stores_under_generated_name(rep_client, lead, settings):
    url = reverse("leads:add-attachment", args=["lead", lead.pk])
    response = rep_client.post(url, {"file": _upload("Offer 2024.pdf", PDF)})
    assert response.status_code == 302
    attachment = Attachment.objects.get(lead=lead)
    assert attachment.original_name == "Offer 2024.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF)
    assert "Offer" not in attachment.file.name
    assert attachment.file.name.startswith("attachments/")
    stored = _stored_files(settings)
    assert len(stored) == 1 and stored[0].read_bytes() == PDF


@pytest.mark.parametrize("data", [WINDOWS_EXE, ELF])
def test_renamed_executable_is_refused_and_nothing_written(
    rep_client, lead, settings, data
):
    url = reverse("leads:add-attachment", args=["lead", lead.pk])
    response = rep_client.post(url, {"file": _upload("report.pdf", data)}, follow=True)
    text = response.content.decode()
    assert "The file was not uploaded" in text
    assert "not allowed" in text
    assert not Attachment.objects.exists()
    assert _stored_files(settings) == []


def test_oversize_upload_through_page_is_refused(rep_client, lead, settings):
    settings.LEADSITE_MAX_UPLOAD_SIZE = 1024
    url = reverse("leads:add-attachment", args=["lead", lead.pk])
    response = rep_client.post(
        url, {"file": _upload("big.pdf", PDF + b"x" * 4096)}, follow=True
    )
    assert "the limit is 1.0" in response.content.decode()
    assert not Attachment.objects.exists()
    assert _stored_files(settings) == []


def test_service_refuses_without_writing(rep, lead, settings):
    with pytest.raises(ValidationError):
        add_attachment(record=lead, by=rep, upload=_upload("x.pdf", ELF))
    assert not Attachment.objects.exists()
    assert _stored_files(settings) == []


def test_download_has_original_name_and_safe_headers(rep_client, rep, lead):
    attachment = add_attachment(
        record=lead, by=rep, upload=_upload("Offer 2024.pdf", PDF)
    )
    response = rep_client.get(
        reverse("leads:download-attachment", args=[attachment.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Offer 2024.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


def test_download_outside_scope_is_404(client, rep, rep2, lead):
    attachment = add_attachment(record=lead, by=rep, upload=_upload("offer.pdf", PDF))
    client.force_login(rep2)
    url = reverse("leads:download-attachment", args=[attachment.pk])
    assert client.get(url).status_code == 404


def test_manager_of_the_unit_can_download(manager_client, rep, lead):
    attachment = add_attachment(record=lead, by=rep, upload=_upload("offer.pdf", PDF))
    url = reverse("leads:download-attachment", args=[attachment.pk])
    assert manager_client.get(url).status_code == 200


def test_lead_file_downloads_from_the_opportunity_it_became(client, rep, rep2):
    """Whoever sees the opportunity sees the lead's files on its timeline."""
    opportunity = factories.OpportunityFactory(owner_user=rep2)
    lead = factories.LeadFactory(
        owner_user=rep, qualified=True, qualifying_opportunity=opportunity
    )
    attachment = add_attachment(record=lead, by=rep, upload=_upload("offer.pdf", PDF))
    client.force_login(rep2)
    url = reverse("leads:download-attachment", args=[attachment.pk])
    assert client.get(url).status_code == 200


def test_upload_on_account_and_download(rep_client, rep):
    account = factories.AccountFactory(owner_user=rep)
    url = reverse("leads:add-attachment", args=["account", account.pk])
    rep_client.post(url, {"file": _upload("contract.pdf", PDF)})
    attachment = Attachment.objects.get(account=account)
    response = rep_client.get(
        reverse("leads:download-attachment", args=[attachment.pk])
    )
    assert response.status_code == 200


def test_upload_without_file_names_the_field(rep_client, lead):
    url = reverse("leads:add-attachment", args=["lead", lead.pk])
    response = rep_client.post(url, {}, follow=True)
    assert "File: This field is required." in response.content.decode()
