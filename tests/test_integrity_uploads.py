"""Finding 6 of issue 7: uploads cannot flood the server or end in a bare error."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leads.models import Attachment
from leadsite.core.middleware import FORM_ROOM
from tests import factories

pytestmark = pytest.mark.django_db


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


def test_oversized_content_length_is_refused_before_the_body_is_read(rep_client, rep):
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


def test_body_size_settings_are_capped():
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
