"""One webhook request on the wire: the address guard, the signature and the POST.

No database here. The caller passes the URL, the body, the secrets and the limits;
the answer is a Sent (what happened, never an exception for a receiver's fault).

The guard resolves the URL's host once, refuses it when any of its addresses is
private, loopback, link-local, multicast, reserved or otherwise not public (unless
allowed: tests and local receivers), and then connects to exactly the address it
checked, so a second DNS answer cannot send the request elsewhere (DNS rebinding).
TLS still verifies the certificate against the URL's host name. Redirects are not
followed: a 3xx is a failed attempt.
"""

import datetime
import http.client
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils.formats import number_format
from django.utils.translation import gettext
from standardwebhooks import Webhook

USER_AGENT = "LeadSite-Webhooks/1"
# How much of a receiver's answer is read (the log keeps the start of it).
RESPONSE_READ_LIMIT = 1024


class AddressRefused(ValueError):
    """The URL may not be called: not http(s), no host, or a non-public address."""


@dataclass(frozen=True)
class Sent:
    """What one attempt came to."""

    ok: bool
    status_code: int | None
    duration_ms: int
    error: str = ""


def _not_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL with a host; AddressRefused else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused(
            gettext("The URL cannot be read: %(error)s.") % {"error": error}
        ) from None
    if parts.scheme not in ("http", "https"):
        raise AddressRefused(gettext("Webhook URLs start with http:// or https://."))
    if not parts.hostname:
        raise AddressRefused(gettext("The URL names no host."))
    return (
        parts.scheme,
        parts.hostname,
        port or (443 if parts.scheme == "https" else 80),
    )


def literal_address_refusal(url: str) -> str:
    """Why a URL whose host is an IP address (or localhost) is refused before any
    DNS look-up ("" when it is not refused that way): the subscription form's
    early word; every send checks the resolved addresses again."""
    _, host, _ = check_url(url)
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return gettext("This URL points to this machine (localhost).")
    try:
        refused = _not_public(host)
    except ValueError:
        return ""  # a host name: resolved and checked when sending
    if not refused:
        return ""
    return gettext("%(host)s is not a public address.") % {"host": host}


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to: every address the host resolves to must be
    public (unless `allow_private`); the first one is used."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(
            gettext("The host %(host)s could not be resolved (%(error)s).")
            % {"host": host, "error": error}
        ) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise AddressRefused(
            gettext("The host %(host)s has no address.") % {"host": host}
        )
    if not allow_private:
        for address in addresses:
            if _not_public(address):
                raise AddressRefused(
                    gettext(
                        "%(host)s resolves to %(address)s, which is not a public "
                        "address (private, loopback, link-local, multicast or "
                        "reserved)."
                    )
                    % {"host": host, "address": address}
                )
    return addresses[0]


def signature_headers(
    *, message_id: str, body: str, secrets: list[str], now: datetime.datetime
) -> dict[str, str]:
    """Standard Webhooks headers: the id, the timestamp (whole seconds) and one v1
    signature per secret, space separated."""
    timestamp = datetime.datetime.fromtimestamp(int(now.timestamp()), tz=datetime.UTC)
    signatures = [
        Webhook(secret).sign(message_id, timestamp, body) for secret in secrets
    ]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def _connection(scheme, host, port, address, timeout):
    cls = (
        http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    )
    connection = cls(host, port, timeout=timeout)

    # The connection keeps `host` for the Host header and TLS (SNI, the
    # certificate's name) but opens its socket to the address that was checked.
    def connect_to_checked(_address, timeout=timeout, source_address=None):
        return socket.create_connection((address, port), timeout, source_address)

    connection._create_connection = connect_to_checked
    return connection


def post(
    *,
    url: str,
    body: str,
    message_id: str,
    secrets: list[str],
    timeout: float,
    allow_private: bool,
    now: datetime.datetime,
) -> Sent:
    """POST `body` to `url`, signed; a 2xx answer is success, anything else (a
    3xx included) or no answer within `timeout` is a failure, with why."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        scheme, host, port = check_url(url)
        address = resolve(host, port, allow_private=allow_private)
    except AddressRefused as error:
        refused = gettext("Refused: %(error)s") % {"error": error}
        return Sent(False, None, elapsed(), refused[:300])
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signature_headers(message_id=message_id, body=body, secrets=secrets, now=now),
    }
    connection = _connection(scheme, host, port, address, timeout)
    try:
        connection.request("POST", target, body=body.encode(), headers=headers)
        response = connection.getresponse()
        answer = response.read(RESPONSE_READ_LIMIT)
        status = response.status
    except TimeoutError:
        return Sent(
            False,
            None,
            elapsed(),
            gettext("No answer within %(seconds)s s.")
            % {"seconds": number_format(f"{timeout:g}")},
        )
    except (OSError, http.client.HTTPException) as error:
        text = str(error) or type(error).__name__
        failed = gettext("Connection failed: %(error)s") % {"error": text}
        return Sent(False, None, elapsed(), failed[:300])
    finally:
        connection.close()
    duration = elapsed()
    if 200 <= status < 300:
        return Sent(True, status, duration)
    if 300 <= status < 400:
        location = response.getheader("Location", "")
        error = gettext(
            "Answered %(status)s (redirects are not followed): %(location)s"
        ) % {"status": status, "location": location}
    else:
        excerpt = answer.decode("utf-8", "replace").strip()
        error = (
            gettext("Answered %(status)s: %(excerpt)s")
            % {"status": status, "excerpt": excerpt}
            if excerpt
            else gettext("Answered %(status)s.") % {"status": status}
        )
    return Sent(False, status, duration, error[:300])
