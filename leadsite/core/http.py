"""Request helpers shared by both apps."""

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, url: str | None) -> str | None:
    """`url` when it is a path on this site (never another host), else None."""
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return None


def client_ip(request) -> str | None:
    """The client's address for the login lockout (AXES_CLIENT_IP_CALLABLE).

    Behind LEADSITE_TRUSTED_PROXIES reverse proxies (DJANGO_BEHIND_PROXY), each
    proxy appends the address it saw to X-Forwarded-For, so the client is the entry
    that many places from the end; anything further left was sent by the client and
    is not trusted. Without a proxy the header is ignored: REMOTE_ADDR.
    """
    count = getattr(settings, "LEADSITE_TRUSTED_PROXIES", 0)
    remote = request.META.get("REMOTE_ADDR")
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        return forwarded[0] if forwarded else remote
    return forwarded[-count]
