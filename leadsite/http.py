"""Request helpers shared by both apps."""

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
