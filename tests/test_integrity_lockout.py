"""Finding 8 of issue 7: behind a reverse proxy the login lockout keys on username +
the client's real address, so nobody can lock a colleague out from elsewhere."""

import pytest
from axes.utils import reset
from django.test import Client
from django.urls import reverse

from tests.test_settings import run_python

PROXY = "10.0.0.1"


@pytest.fixture
def lockout(settings, rep):
    settings.AXES_ENABLED = True
    yield settings
    reset()


def _fail_logins(settings, client, **headers):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"), {"username": "rep", "password": "wrong"}, **headers
        )


def _login(client, **headers):
    response = client.post(
        reverse("login"), {"username": "rep", "password": "leadsite"}, **headers
    )
    return response.status_code == 302 and "_auth_user_id" in client.session


def test_behind_a_proxy_an_attacker_locks_out_only_their_own_address(lockout):
    lockout.LEADSITE_TRUSTED_PROXIES = 1
    attacker = Client(REMOTE_ADDR=PROXY)
    _fail_logins(lockout, attacker, HTTP_X_FORWARDED_FOR="198.51.100.66")
    assert not _login(attacker, HTTP_X_FORWARDED_FOR="198.51.100.66")
    colleague = Client(REMOTE_ADDR=PROXY)
    assert _login(colleague, HTTP_X_FORWARDED_FOR="203.0.113.20")


def test_only_the_trusted_proxies_address_counts(lockout):
    """A client cannot dodge the lockout by sending its own X-Forwarded-For."""
    lockout.LEADSITE_TRUSTED_PROXIES = 1
    client = Client(REMOTE_ADDR=PROXY)
    for spoofed in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"):
        client.post(
            reverse("login"),
            {"username": "rep", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"{spoofed}, 198.51.100.66",
        )
    assert not _login(client, HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.66")


def test_without_a_proxy_forwarded_headers_are_ignored(lockout):
    lockout.LEADSITE_TRUSTED_PROXIES = 0
    client = Client(REMOTE_ADDR="198.51.100.66")
    for spoofed in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"):
        client.post(
            reverse("login"),
            {"username": "rep", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=spoofed,
        )
    assert not _login(client, HTTP_X_FORWARDED_FOR="6.6.6.6")


@pytest.mark.parametrize(
    "value, count", [("False", 0), ("True", 1), ("1", 1), ("2", 2), ("", 0)]
)
def test_behind_proxy_setting_is_a_trusted_proxy_count(value, count):
    code = "import leadsite.settings as s; print(s.LEADSITE_TRUSTED_PROXIES)"
    assert run_python(code, DJANGO_BEHIND_PROXY=value).strip() == str(count)
