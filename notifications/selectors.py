"""Reads of the notifications pages and the bell: a user's own notifications only."""

from django.db.models import CharField, QuerySet, Value

from accounts.models import BusinessUnit, User
from accounts.permissions import SALES_MANAGER, access_part
from leads.models import LeadAssignment, RoutingRule
from notifications.models import Channel, Kind, Notification, NotificationPreference
from webhooks.permissions import may_use_webhooks

# The bell shows "99+" past this (a bounded count on the unread index).
BELL_CAP = 99

# How each kind is heard when the user has not chosen.
DEFAULT_CHANNEL = Channel.IN_APP


def list_notifications(*, user) -> QuerySet:
    """The user's notifications, newest first (the index notif_list)."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(*, user) -> int:
    """How many of the user's notifications are unread, counted up to BELL_CAP + 1
    (one query on the index notif_unread)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    return unread[: BELL_CAP + 1].count()


def unread_part(connection):
    """The bell's unread count as an access part (accounts.sql.register_access_part):
    read with the user's groups, in the same round trip, on every page. The same
    count as unread_count."""
    table = connection.ops.quote_name(Notification._meta.db_table)
    return (
        "SELECT 'unread', CAST(COUNT(*) AS VARCHAR(20)) FROM (SELECT 1 AS one"  # noqa: S608
        f" FROM {table} n WHERE n.user_id = %s AND n.read_at IS NULL"
        f" LIMIT {BELL_CAP + 1}) unread",
        ["user"],
    )


def bell_count(user) -> int:
    """The bell's unread count for the request's user: read with the groups, or
    again after this request marked notifications read (forget_access_part)."""
    value = access_part(user, "unread")
    return unread_count(user=user) if value is None else int(value)


def kinds_for(user) -> list[str]:
    """The kinds a user can be told of: webhook pauses only where the user may use
    webhooks."""
    kinds = list(Kind.values)
    if not may_use_webhooks(user):
        kinds.remove(Kind.WEBHOOK_PAUSED)
    return kinds


def channels_of(*, user_ids) -> dict[tuple[int, str], str]:
    """(user id, kind) -> channel for the choices those users made (one query);
    a pair missing means the default."""
    rows = NotificationPreference.objects.filter(user_id__in=list(user_ids))
    return {
        (user_id, kind): channel
        for user_id, kind, channel in rows.values_list("user_id", "kind", "channel")
    }


def recipients_of(*, user_ids) -> tuple[dict, dict]:
    """What notify() needs of its recipients, in one query (a union): the
    channels they chose ((user id, kind) -> channel; a pair missing means the
    default) and their language and time zone (user id -> (language, zone))."""
    ids = list(user_ids)
    blank = Value("", output_field=CharField())
    users = (
        User.objects.filter(pk__in=ids)
        .order_by()
        .values_list("pk", "language", "time_zone", blank, blank)
    )
    choices = (
        NotificationPreference.objects.filter(user_id__in=ids)
        .order_by()
        .values_list("user_id", blank, blank, "kind", "channel")
    )
    channels, locales = {}, {}
    for pk, language, zone, kind, channel in users.union(choices, all=True):
        if kind:
            channels[(pk, kind)] = channel
        else:
            locales[pk] = (language, zone)
    return channels, locales


def chosen_channels(*, kinds) -> dict[tuple[int, str], str]:
    """(user id, kind) -> channel for every choice other than the default made for
    `kinds`, by anyone (one query): what notify() reads of a batch's recipients
    before it knows them all (notifications.services.delivery.Together)."""
    rows = NotificationPreference.objects.filter(kind__in=list(kinds)).exclude(
        channel=DEFAULT_CHANNEL
    )
    return {
        (user_id, kind): channel
        for user_id, kind, channel in rows.values_list("user_id", "kind", "channel")
    }


def locales_of(*, user_ids) -> dict[int, tuple[str, str]]:
    """user id -> (language, time zone) of those users (one query)."""
    rows = User.objects.filter(pk__in=list(user_ids)).order_by()
    return {
        pk: (language, zone)
        for pk, language, zone in rows.values_list("pk", "language", "time_zone")
    }


def preferences_of(*, user) -> dict[str, str]:
    """kind -> channel for every kind, the user's choice or the default."""
    chosen = channels_of(user_ids=[user.pk])
    return {kind: chosen.get((user.pk, kind), DEFAULT_CHANNEL) for kind in Kind.values}


def unit_managers(*, unit_id) -> list[int]:
    """Ids of the active sales managers of a business unit; where it has none, of
    the nearest unit above it that has (two queries)."""
    if unit_id is None:
        return []
    parents = dict(BusinessUnit.objects.values_list("pk", "parent_id"))
    chain, seen = [], set()
    while unit_id is not None and unit_id not in seen:
        seen.add(unit_id)
        chain.append(unit_id)
        unit_id = parents.get(unit_id)
    managers = User.objects.filter(
        is_active=True, groups__name=SALES_MANAGER, business_unit_id__in=chain
    ).values_list("pk", "business_unit_id")
    by_unit = {}
    for pk, unit in managers:
        by_unit.setdefault(unit, set()).add(pk)
    for unit in chain:
        if unit in by_unit:
            return sorted(by_unit[unit])
    return []


def overdue_rule_of(*, lead) -> RoutingRule | None:
    """The rule whose response time a just re-routed lead overran: the rule of its
    assignment before the re-route's (with its channel partner)."""
    entries = LeadAssignment.objects.filter(lead=lead).order_by("-id")
    before = entries.select_related("rule__channel_partner")[1:2]
    entry = next(iter(before), None)
    return entry.rule if entry is not None else None
