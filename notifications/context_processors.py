from notifications.selectors import bell_count


def notifications(request):
    """The bell's unread count (read with the user's groups: one round trip for
    both, accounts.sql.register_access_part)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_unread": lambda: bell_count(user)}
