from django.urls import get_script_prefix, reverse

from accounts.permissions import (
    access_part,
    is_administrator,
    is_manager,
    is_privacy_officer,
)

# The main navigation's links (base.html), reversed once per script prefix.
NAV_URLS = {
    "search": "leads:search",
    "leads": "leads:list",
    "board": "leads:board",
    "accounts": "accounts:account-list",
    "contacts": "accounts:contact-list",
    "opportunities": "accounts:opportunity-list",
    "routing": "leads:routing",
    "reports": "leads:source-report",
    "webhooks": "webhooks:list",
    "privacy": "privacy:index",
    "admin": "admin:index",
    "settings": "accounts:settings",
    "api_docs": "api:docs",
    "logout": "logout",
}
_reversed: dict[str, dict[str, str]] = {}

# The section whose link the navigation marks, by the page's URL name.
_SECTIONS = {
    "search": "search",
    "board": "board",
    "opportunity-board": "board",
    "account-list": "accounts",
    "account-detail": "accounts",
    "contact-list": "contacts",
    "contact-detail": "contacts",
    "opportunity-list": "opportunities",
    "opportunity-detail": "opportunities",
    "source-report": "reports",
    "scoring-report": "reports",
    "settings": "settings",
    "api-tokens": "settings",
}


def nav_section(match) -> str:
    """Which navigation link is the current page's ("" for none)."""
    if match is None:
        return ""
    name = match.url_name or ""
    if name in _SECTIONS:
        return _SECTIONS[name]
    if "routing" in name or "duplicate" in name:
        return "routing"
    if match.namespace in ("webhooks", "privacy"):
        return match.namespace
    if match.namespace == "leads" and name != "home":
        return "leads"
    return ""


def nav_urls() -> dict[str, str]:
    prefix = get_script_prefix()
    urls = _reversed.get(prefix)
    if urls is None:
        urls = {key: reverse(name) for key, name in NAV_URLS.items()}
        _reversed[prefix] = urls
    return urls


def navigation(request):
    """Role flags the base template needs to show the right navigation, its links
    and the section the page belongs to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_section": nav_section(getattr(request, "resolver_match", None)),
        "nav_urls": nav_urls(),
        "nav_is_manager": is_manager(user) or is_administrator(user),
        "nav_is_admin": user.is_staff,
        # Privacy officers and administrators: the privacy pages and record boxes.
        "nav_privacy": is_privacy_officer(user),
        # Whether the user holds a usable API token: read with the groups.
        "nav_api_docs": access_part(user, "api_token") is not None,
    }
