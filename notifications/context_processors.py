import functools

from notifications.selectors import unread_count


def notifications(request):
    """The bell's unread count, read only where a template shows it (one query,
    once per request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_unread": functools.cache(lambda: unread_count(user=user))}
