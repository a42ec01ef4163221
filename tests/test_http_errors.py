"""Malformed requests get a page that says what was wrong (400), never a 500."""

import pytest
from django.test import Client

from tests import factories

MANY = 1200  # above DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000)


def _multipart(values: list[bytes]) -> bytes:
    parts = [
        b'--XX\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n%s\r\n' % (i, v)
        for i, v in enumerate(values)
    ]
    return b"".join(parts) + b"--XX--\r\n"


BODIES = {
    "urlencoded, not UTF-8, too many fields": (
        "&".join(f"f{i}=%ff%fe" for i in range(MANY)).encode(),
        "application/x-www-form-urlencoded",
    ),
    "urlencoded, too many fields": (
        "&".join(f"f{i}=x" for i in range(MANY)).encode(),
        "application/x-www-form-urlencoded",
    ),
    "multipart, not UTF-8, too many fields": (
        _multipart([b"\xff\xfe"] * MANY),
        "multipart/form-data; boundary=XX",
    ),
    "multipart, latin-1 declared, too many fields": (
        _multipart([b"caf\xe9"] * MANY),
        "multipart/form-data; boundary=XX; charset=latin-1",
    ),
}


@pytest.fixture
def web_form(org):
    return factories.CaptureFormFactory(business_unit=org.north)


@pytest.mark.parametrize("kind", BODIES)
@pytest.mark.parametrize("who", ["rep", "anonymous"])
def test_unreadable_form_is_a_400_page_that_says_why(kind, who, rep, web_form):
    client = Client(raise_request_exception=False)
    if who == "rep":
        client.force_login(rep)
        url = "/leads/new/"
    else:
        url = f"/capture/{web_form.token}/"
    body, content_type = BODIES[kind]
    response = client.generic("POST", url, body, content_type=content_type)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The form could not be read" in page
    assert "more than 1,000 fields" in page
    assert "Nothing was saved" in page
