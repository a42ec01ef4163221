"""The one writer of notifications (`notify`), marking them read, and the users'
choices of how they hear of each kind."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext

from leadsite.core import locale
from leadsite.core.deferred import defer
from leadsite.core.services import service
from notifications.models import (
    Channel,
    EmailState,
    Notification,
    NotificationPreference,
)
from notifications.selectors import (
    DEFAULT_CHANNEL,
    chosen_channels,
    kinds_for,
    locales_of,
    recipients_of,
)
from notifications.services.told import insert_wanted
from notifications.targets import target_type

# A channel's email: none, at once (the mailer task), or in the daily digest.
EMAIL_STATE = {
    Channel.IN_APP: EmailState.NONE,
    Channel.EMAIL: EmailState.PENDING,
    Channel.DIGEST: EmailState.DIGEST,
}
TEXT_LENGTH = Notification._meta.get_field("text").max_length


@dataclass
class Message:
    """One thing to tell one user: the kind, the sentence, the record it is about,
    who did it (None: LeadSite itself) and, for a reminder, its identity."""

    user_id: int | None
    kind: str
    text: "str | MessageText"
    target: object = None
    actor_id: int | None = None
    key: str = ""


class MessageText:
    """A notification's sentence before it is written: notify() renders it in each
    recipient's language and time zone (once per language and zone)."""

    def __init__(self, template: str, context: dict):
        self.template = template
        self.context = context
        self._rendered = {}

    def render(self, language: str = "", time_zone: str = "") -> str:
        key = (language, time_zone)
        if key not in self._rendered:
            with locale.speaking(language, time_zone):
                self._rendered[key] = _render_text(self.template, self.context)
        return self._rendered[key]

    def __str__(self):
        return self.render()


def message_text(template: str, **context) -> MessageText:
    """A notification's sentence, from templates/notifications/messages/<template>.txt
    (plain text, one line, at most the column's length), rendered for each
    recipient by notify()."""
    return MessageText(template, context)


def _render_text(template: str, context: dict) -> str:
    text = render_to_string(f"notifications/messages/{template}.txt", context)
    text = " ".join(text.split())
    if len(text) > TEXT_LENGTH:
        text = text[: TEXT_LENGTH - 1] + "…"
    return text


def notify(
    messages: list[Message],
    *,
    now: datetime.datetime | None = None,
    together: "Together | None" = None,
    locales: dict | None = None,
) -> int:
    """Write the notifications the recipients want, in the caller's transaction:
    none of a kind a recipient turned off, none telling a user of their own action
    (actor = recipient); each marked to email at once or in the digest by the
    recipient's channel for its kind (one query for the choices, one insert).
    A reminder (a key) is told once per user: a second one is skipped (the unique
    constraint notifications_reminder_once). Returns how many may wait to be
    emailed at once (the caller wakes the mailer). Not a service: it runs inside
    the one that emits, or the reminder run.

    `together`: one of a batch of events told together (see Together): the same
    rows, written at the end of the batch's chunk of deferred work.

    `locales`: user id -> (language, time zone) of recipients the caller already
    read (the routing service, with its candidate users). When it covers every
    recipient of messages without a key, the same rows are written by one
    statement, the choices joined in (notifications.services.told)."""
    messages = [m for m in messages if m.user_id and m.user_id != m.actor_id]
    if not messages:
        return 0
    now = now or timezone.now()
    if together is not None:
        return together.tell(messages, now=now)
    if locales and all(m.user_id in locales and not m.key for m in messages):
        rows = [
            _row(message, DEFAULT_CHANNEL, locales[message.user_id], now)
            for message in messages
        ]
        states = insert_wanted(
            rows, default_channel=DEFAULT_CHANNEL, email_states=EMAIL_STATE
        )
        return sum(state == EmailState.PENDING for state in states)
    channels, locales = recipients_of(user_ids={m.user_id for m in messages})
    rows = []
    for message in messages:
        channel = channels.get((message.user_id, message.kind), DEFAULT_CHANNEL)
        if channel != Channel.OFF:
            rows.append(_row(message, channel, locales.get(message.user_id), now))
    if not rows:
        return 0
    Notification.objects.bulk_create(
        rows, ignore_conflicts=any(row.key for row in rows)
    )
    return sum(row.email_state == EmailState.PENDING for row in rows)


def _row(message: Message, channel: str, user_locale, now) -> Notification:
    target = message.target
    return Notification(
        user_id=message.user_id,
        kind=message.kind,
        text=_text_for(message.text, user_locale)[:TEXT_LENGTH],
        target_type=target_type(target) if target is not None else "",
        target_id=target.pk if target is not None else None,
        actor_id=message.actor_id,
        created_at=now,
        email_state=EMAIL_STATE[channel],
        key=message.key,
    )


class Together:
    """The notifications of one batch of events (a routing batch's lead.routed):
    the same rows as a notify() call each, read and written per batch. The
    choices made for a kind are read once (every choice other than the default,
    whoever made it), so each call tells at once how many wait to be emailed and
    its caller wakes the mailer as it would; at the end of the chunk of deferred
    work the batch runs in (leadsite.core.deferred) the recipients' languages and
    time zones are read in one query and the rows written in one insert, in the
    order told. Without an open chunk each call writes its rows at once. No
    reminders (they carry a key). `key`: the batch's (current_batch())."""

    def __init__(self, key):
        self.key = key
        self._kinds: set = set()
        self._channels: dict = {}

    def tell(self, messages: list[Message], *, now) -> int:
        """notify() for `messages` (the actors' own already left out); how many
        wait to be emailed at once."""
        kinds = {m.kind for m in messages} - self._kinds
        if kinds:
            self._channels.update(chosen_channels(kinds=kinds))
            self._kinds |= kinds
        told = []
        for message in messages:
            channel = self._channels.get(
                (message.user_id, message.kind), DEFAULT_CHANNEL
            )
            if channel != Channel.OFF:
                told.append((message, channel, now))
        if not told:
            return 0
        if not defer(self._write, told):
            self._write([told])
        return sum(EMAIL_STATE[c] == EmailState.PENDING for _, c, _ in told)

    def _write(self, groups: list[list[tuple]]) -> None:
        told = [item for group in groups for item in group]
        locales = locales_of(user_ids={message.user_id for message, _, _ in told})
        Notification.objects.bulk_create(
            [
                _row(message, channel, locales.get(message.user_id), now)
                for message, channel, now in told
            ]
        )


def _text_for(text, user_locale) -> str:
    if isinstance(text, MessageText):
        return text.render(*(user_locale or ("", "")))
    return str(text)


@service
def mark_read(*, user, ids, now: datetime.datetime | None = None) -> int:
    """Mark the user's notifications `ids` read (those still unread); returns how
    many. One UPDATE; another user's ids are ignored."""
    return Notification.objects.filter(
        user=user, pk__in=list(ids), read_at__isnull=True
    ).update(read_at=now or timezone.now())


@service
def mark_all_read(*, user, now: datetime.datetime | None = None) -> int:
    """Mark every unread notification of the user read; returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


@service
@transaction.atomic
def save_preferences(*, user, channels: dict[str, str]) -> None:
    """Set how `user` hears of each kind in `channels` (kind -> channel). A kind
    the user cannot be told of (webhook pauses for a rep) or an unknown channel is
    a ValidationError, and nothing is saved."""
    allowed = kinds_for(user)
    for kind, channel in channels.items():
        if kind not in allowed:
            raise ValidationError(
                gettext("Unknown kind of notification: %(kind)s.") % {"kind": kind}
            )
        if channel not in Channel.values:
            raise ValidationError(
                gettext("Unknown way to be told: %(channel)s.") % {"channel": channel}
            )
    for kind, channel in channels.items():
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"channel": channel}
        )
