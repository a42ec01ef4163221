"""Email: the notifications marked to go at once (the mailer task, woken when they
are written) and the daily digest (its job at 07:00), one message per user each
time, through Django's mail (EMAIL_URL).

Each user's waiting rows are claimed (stamped, their rows locked with SKIP LOCKED
on PostgreSQL so two workers never claim the same), the message is sent outside
any transaction, then the rows are marked sent. A failed send lets them go for the
next run; a worker that dies mid-send leaves a claim that runs out after
CLAIM_HOLD, so a message is sent at least once."""

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from leadsite.core import locale
from leadsite.core.services import service
from notifications.models import EmailState, Notification
from notifications.targets import attach_links

logger = logging.getLogger(__name__)

# A claim older than this is taken to be a dead worker's.
CLAIM_HOLD = datetime.timedelta(minutes=10)
# Notifications in one message at most (more go in the next one).
PER_MESSAGE = 100


def _waiting(state, now) -> Q:
    return Q(email_state=state) & (
        Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - CLAIM_HOLD)
    )


@transaction.atomic
def _claim(state, user_id, now) -> list[int]:
    """Claim up to PER_MESSAGE of the user's waiting rows; their ids."""
    ids = list(
        Notification.objects.select_for_update(skip_locked=True)
        .filter(_waiting(state, now), user_id=user_id)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:PER_MESSAGE]
    )
    Notification.objects.filter(pk__in=ids).update(email_claimed_at=now)
    return ids


def _message(state, notifications, user) -> tuple[str, str]:
    attach_links(user, notifications)
    for notification in notifications:
        if notification.url:
            notification.url = settings.LEADSITE_SITE_URL + notification.url
    context = {
        "user": user,
        "notifications": notifications,
        "digest": state == EmailState.DIGEST,
        "site_url": settings.LEADSITE_SITE_URL,
    }
    # In the recipient's language and time zone, whoever's run sends it.
    with locale.speaking(user.language, user.time_zone):
        subject = render_to_string("notifications/email/subject.txt", context)
        body = render_to_string("notifications/email/body.txt", context)
    return " ".join(subject.split()), body


def _send(state, now) -> int:
    """Email every user with rows waiting in `state`; returns the messages sent."""
    sent = 0
    user_ids = (
        Notification.objects.filter(_waiting(state, now))
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    for user_id in list(user_ids):
        while True:
            ids = _claim(state, user_id, now)
            if not ids:
                break
            rows = list(
                Notification.objects.filter(pk__in=ids)
                .select_related("user", "actor")
                .order_by("created_at", "id")
            )
            user = rows[0].user
            claimed = Notification.objects.filter(pk__in=ids)
            if not (user.is_active and user.email):
                claimed.update(email_state=EmailState.NONE, email_claimed_at=None)
                continue
            subject, body = _message(state, rows, user)
            try:
                send_mail(subject, body, None, [user.email])
            except Exception:
                logger.exception("Notification email to user %s failed", user_id)
                claimed.update(email_claimed_at=None)
                break
            claimed.update(
                email_state=EmailState.SENT, emailed_at=now, email_claimed_at=None
            )
            sent += 1
    return sent


@service
def send_pending_emails(*, now: datetime.datetime | None = None) -> int:
    """Email the notifications marked to go at once: one message per user with
    what waits (up to PER_MESSAGE each). Returns the messages sent."""
    return _send(EmailState.PENDING, now or timezone.now())


@service
def send_digests(*, now: datetime.datetime | None = None) -> int:
    """The daily digest: one message per user with every notification kept for it
    since the last one. Returns the messages sent."""
    return _send(EmailState.DIGEST, now or timezone.now())
