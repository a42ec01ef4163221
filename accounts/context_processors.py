from accounts.permissions import (
    access_part,
    is_administrator,
    is_manager,
    is_privacy_officer,
)


def navigation(request):
    """Role flags the base template needs to show the right navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_is_manager": is_manager(user) or is_administrator(user),
        "nav_is_admin": user.is_staff,
        # Privacy officers and administrators: the privacy pages and record boxes.
        "nav_privacy": is_privacy_officer(user),
        # Whether the user holds a usable API token: read with the groups.
        "nav_api_docs": access_part(user, "api_token") is not None,
    }
