from accounts.permissions import is_administrator, is_manager, is_privacy_officer
from accounts.selectors import has_usable_api_token


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
        # Called only where the template asks (the user menu): one query.
        "nav_api_docs": lambda: has_usable_api_token(user=user),
    }
