"""Who may use webhooks, and whose subscriptions a user reaches.

Administrators subscribe to everything and see every subscription; managers keep
their own subscriptions, which hear only of records in their scope (their units);
reps have no webhooks. A subscription's deliveries follow its owner's rights as they
are when each event goes out."""

from django.db.models import QuerySet

from accounts.permissions import is_administrator, is_manager


def may_use_webhooks(user) -> bool:
    """Administrators and managers (active ones) subscribe; reps may not."""
    return user.is_authenticated and (is_administrator(user) or is_manager(user))


def visible_subscriptions(user, queryset: QuerySet) -> QuerySet:
    """The subscriptions `user` reaches: all for administrators, their own for
    managers, none for anyone else (a subscription outside is a 404)."""
    if not user.is_authenticated:
        return queryset.none()
    if is_administrator(user):
        return queryset
    if is_manager(user):
        return queryset.filter(owner=user)
    return queryset.none()
