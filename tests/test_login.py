"""Login lockout (django-axes): too many failed logins lock the user out from that
address; behind a reverse proxy the lockout keys on username + the client's real
address, so nobody can lock a colleague out from elsewhere."""

import pytest
from axes.utils import reset
from django.test import Client
from django.urls import reverse

PROXY = "10.0.0.1"


def test_axes_locks_out_after_the_failure_limit(settings, rep):
    settings.AXES_ENABLED = True
    client = Client(REMOTE_ADDR="203.0.113.9")
    try:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            response = client.post(
                reverse("login"), {"username": "rep", "password": "wrong"}
            )
        response = client.post(
            reverse("login"), {"username": "rep", "password": "leadsite"}
        )
        assert response.status_code in (403, 429)
        assert "_auth_user_id" not in client.session
    finally:
        reset()
    response = client.post(
        reverse("login"), {"username": "rep", "password": "leadsite"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(rep.pk)


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
