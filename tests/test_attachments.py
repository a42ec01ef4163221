"""Attachments: content-checked uploads, generated storage names, scoped downloads
served only as attachments; upload bodies that cannot flood the server or end in a
bare error."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leads.attachments import check_upload
from leads.models import Attachment, Lead
from leads.services.timeline import add_attachment
from leadsite.core.middleware import FORM_ROOM
from tests import factories
from tests.support import shown_messages

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


# --- served only as an attachment ----------------------------------------------------


def _post_upload(client, lead, name, content, content_type="application/octet-stream"):
    return client.post(
        reverse("leads:add-attachment", args=["lead", lead.pk]),
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        follow=True,
    )


def test_attachment_download_is_an_attachment_with_nosniff(rep_client, rep):
    attachment = factories.AttachmentFactory(lead=factories.LeadFactory(owner_user=rep))
    response = rep_client.get(
        reverse("leads:download-attachment", args=[attachment.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_attachment_on_a_qualified_lead_follows_its_opportunitys_scope(
    rep_client, rep, rep2
):
    """The opportunity's timeline shows its lead's items, so whoever sees the
    opportunity may download them; a lead and opportunity both outside scope: 404."""
    mine = factories.OpportunityFactory(owner_user=rep)
    lead = factories.LeadFactory(owner_user=rep2, qualified=True)
    Lead.objects.filter(pk=lead.pk).update(qualifying_opportunity=mine)
    shared = factories.AttachmentFactory(lead=lead)
    url = reverse("leads:download-attachment", args=[shared.pk])
    assert rep_client.get(url).status_code == 200
    Lead.objects.filter(pk=lead.pk).update(
        qualifying_opportunity=factories.OpportunityFactory(owner_user=rep2)
    )
    assert rep_client.get(url).status_code == 404


def test_html_renamed_txt_is_only_ever_served_as_a_plain_text_attachment(
    rep_client, rep
):
    lead = factories.LeadFactory(owner_user=rep)
    html = b"<html><body><script>alert(document.cookie)</script></body></html>\n"
    _post_upload(rep_client, lead, "invoice.txt", html, "text/html")
    attachment = Attachment.objects.filter(lead=lead).first()
    if attachment is None:
        return  # refused outright: also fine
    response = rep_client.get(
        reverse("leads:download-attachment", args=[attachment.pk])
    )
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
        ),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("page.htm", b"<html></html>"),
        ("logo.svg.txt", b"\xff\xfe<svg/>"),
    ],
)
def test_svg_and_html_uploads_are_refused(rep_client, rep, name, content):
    lead = factories.LeadFactory(owner_user=rep)
    response = _post_upload(rep_client, lead, name, content, "image/svg+xml")
    assert any("not uploaded" in m for m in shown_messages(response))
    assert not Attachment.objects.filter(lead=lead).exists()


def test_path_traversal_in_the_upload_name_is_neutralised(rep_client, rep, settings):
    lead = factories.LeadFactory(owner_user=rep)
    _post_upload(rep_client, lead, "../../etc/passwd.pdf", PDF, "application/pdf")
    attachment = Attachment.objects.get(lead=lead)
    assert attachment.original_name == "passwd.pdf"
    assert ".." not in attachment.file.name
    path = attachment.file.path
    assert path.startswith(str(settings.MEDIA_ROOT))
    response = rep_client.get(
        reverse("leads:download-attachment", args=[attachment.pk])
    )
    assert 'filename="passwd.pdf"' in response["Content-Disposition"]


# --- upload bodies ---------------------------------------------------------------------


def _url(lead):
    return reverse("leads:add-attachment", args=["lead", lead.pk])


def _multipart(filename, content_type, content=b"hello\n"):
    """A raw body, as a browser or a script sends it (the test client would shorten
    a long file name before it is sent)."""
    head = (
        "--B\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    body = head.encode() + content + b"\r\n--B--\r\n"
    return body, "multipart/form-data; boundary=B"


def test_oversized_content_length_is_refused_before_the_body_is_read(
    rep_client, rep, settings
):
    lead = factories.LeadFactory(owner_user=rep)
    claimed = settings.LEADSITE_MAX_UPLOAD_SIZE + FORM_ROOM + 1
    body, content_type = _multipart("big.pdf", "application/pdf")
    # The body is short: reading past it would fail the test client's payload.
    response = rep_client.generic(
        "POST", _url(lead), body, content_type=content_type, CONTENT_LENGTH=claimed
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert not Attachment.objects.exists()


def test_body_size_settings_are_capped(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2621440
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 1024 * 1024
    assert FORM_ROOM <= settings.LEADSITE_MAX_UPLOAD_SIZE


@pytest.mark.parametrize(
    "upload",
    [
        lambda: SimpleUploadedFile("ok.txt", b"plain text\n", "text/plain"),
        lambda: SimpleUploadedFile("bad.txt", b"\x00\x01binary", "text/plain"),
        lambda: SimpleUploadedFile("big.txt", b"x" * 20, "text/plain"),
    ],
)
def test_upload_temp_files_are_removed_on_every_way_out(
    settings, tmp_path, rep_client, rep, upload
):
    temp = tmp_path / "upload-temp"
    temp.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every file goes to a temp file
    settings.LEADSITE_MAX_UPLOAD_SIZE = 15
    lead = factories.LeadFactory(owner_user=rep)
    rep_client.post(_url(lead), {"file": upload()})
    assert list(temp.iterdir()) == []


def test_client_content_type_of_any_length_is_not_stored(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    body, content_type = _multipart("a.txt", "text/plain; x=" + "y" * 300)
    response = rep_client.generic("POST", _url(lead), body, content_type=content_type)
    assert response.status_code == 302
    assert Attachment.objects.get().content_type == "text/plain"


def test_very_long_file_name_gets_a_clear_message(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    body, content_type = _multipart("a" * 1000 + ".txt", "text/plain")
    response = rep_client.generic(
        "POST",
        _url(lead),
        body,
        content_type=content_type,
        HTTP_REFERER=lead.get_absolute_url(),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Rename the file to a shorter name" in html
    assert f'href="{lead.get_absolute_url()}"' in html
    assert not Attachment.objects.exists()
