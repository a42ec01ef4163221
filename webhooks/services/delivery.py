"""The worker's writes for one attempt: claim a due delivery, then record what the
receiver answered (success, or a retry with exponential backoff, or giving up), and
pause a subscription that has only failed for a day.

At least once: a delivery is claimed (its row locked with SKIP LOCKED on PostgreSQL,
so two workers never claim the same attempt) and held until `locked_until`; the
attempt row is written before the request goes out. A worker that dies while sending
leaves the delivery pending with its hold running out; the next pass claims it
again, marks the lost attempt interrupted and sends the same event (same id) again.
"""

import datetime
import random
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadsite.core import locale
from leadsite.core.events import emit
from leadsite.core.services import service
from webhooks.models import (
    Attempt,
    AttemptOutcome,
    Delivery,
    DeliveryStatus,
    PauseReason,
    Subscription,
)
from webhooks.representations import visible_ids
from webhooks.sending import Sent
from webhooks.services.outbox import may_receive, relaxed_commit

# Why an attempt ended or a delivery was not sent (kept in the log as written).
INTERRUPTED = _("The worker stopped before this attempt finished.")
OUT_OF_SCOPE = _(
    "Not sent: the record is outside what the subscription's owner may see."
)
NO_RECEIVER = _("Not sent: the subscription's owner may no longer use webhooks.")
# A success is written to the subscription at most this often (a hot row).
SUCCESS_STAMP_INTERVAL = datetime.timedelta(minutes=1)


def hold_for() -> datetime.timedelta:
    """How long a claimed delivery is held: longer than any attempt can take
    (connect and read timeouts, and a margin)."""
    return datetime.timedelta(seconds=2 * settings.LEADSITE_WEBHOOKS_TIMEOUT + 30)


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th failure: base × 2^(attempts−1), at most the
    maximum, stretched by up to 10 % at random so retries of many deliveries do
    not arrive together."""
    base = settings.LEADSITE_WEBHOOKS_RETRY_BASE_SECONDS
    delay = min(
        base * 2 ** (attempts - 1), settings.LEADSITE_WEBHOOKS_RETRY_MAX_SECONDS
    )
    return datetime.timedelta(seconds=delay * (1 + random.random() / 10))


@dataclass(frozen=True)
class Claim:
    """A delivery claimed for one attempt: all the sender needs."""

    delivery_id: int
    attempt_id: int
    number: int
    url: str
    body: str
    message_id: str
    secrets: list[str]
    locked_until: datetime.datetime


@dataclass(frozen=True)
class Recorded:
    """What an attempt's result did: when to try again (None: no retry), and
    whether the subscription was paused."""

    retry_at: datetime.datetime | None = None
    paused: bool = False


def _receives(delivery: Delivery) -> str:
    """Why the delivery may not be sent ("" when it may): its owner's rights and
    scope now."""
    owner = delivery.subscription.owner
    if not may_receive(owner):
        return str(NO_RECEIVER)
    event = delivery.event
    if event.object_type and event.object_id not in visible_ids(
        owner, event.object_type, [event.object_id]
    ):
        return str(OUT_OF_SCOPE)
    return ""


@service
@transaction.atomic
def claim_next_delivery(*, now: datetime.datetime | None = None) -> Claim | None:
    """The due delivery to send next (None: nothing is due), claimed for one attempt.

    Due: pending, its time come, its subscription active, not held by a live
    worker. Locks the row (SKIP LOCKED), marks an attempt a dead worker left
    unfinished as interrupted, counts the attempt, writes its row (outcome
    "sending") and holds the delivery until now + hold_for(). A delivery whose
    record its owner no longer sees (or whose owner may no longer use webhooks) is
    skipped, not sent."""
    now = now or timezone.now()
    relaxed_commit()
    while True:
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "subscription__owner")
            .filter(
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now,
                subscription__is_active=True,
            )
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .order_by("next_attempt_at", "id")
            .first()
        )
        if delivery is None:
            return None
        if delivery.locked_until is not None:
            # A hold ran out: its worker died (or overran) mid-attempt.
            Attempt.objects.filter(
                delivery=delivery, outcome=AttemptOutcome.SENDING
            ).update(outcome=AttemptOutcome.INTERRUPTED, error=str(INTERRUPTED))
        refusal = _receives(delivery)
        if refusal:
            delivery.status = DeliveryStatus.SKIPPED
            delivery.last_error = refusal
            delivery.finished_at = now
            delivery.locked_until = None
            delivery.save(
                update_fields=["status", "last_error", "finished_at", "locked_until"]
            )
            continue
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.locked_until = now + hold_for()
        delivery.save(update_fields=["attempts", "last_attempt_at", "locked_until"])
        attempt = Attempt.objects.create(
            delivery=delivery, number=delivery.attempts, started_at=now
        )
        subscription = delivery.subscription
        return Claim(
            delivery_id=delivery.pk,
            attempt_id=attempt.pk,
            number=attempt.number,
            url=subscription.url,
            body=delivery.event.body,
            message_id=delivery.event.message_id,
            secrets=subscription.signing_secrets(now=now),
            locked_until=delivery.locked_until,
        )


@service
@transaction.atomic
def record_attempt(
    *, claim: Claim, sent: Sent, now: datetime.datetime | None = None
) -> Recorded:
    """Write what the attempt came to, on its row and on the delivery: delivered;
    or due again after backoff(attempts); or failed for good after
    LEADSITE_WEBHOOKS_MAX_ATTEMPTS. A failure starts the subscription's failure
    clock (if not running); a success stops it. A subscription whose clock has run
    LEADSITE_WEBHOOKS_PAUSE_AFTER_HOURS is paused and its owner told (mail, after
    commit). An attempt overtaken by a later claim (its hold ran out) only fills
    its own row."""
    now = now or timezone.now()
    relaxed_commit()
    outcome = AttemptOutcome.SUCCEEDED if sent.ok else AttemptOutcome.FAILED
    Attempt.objects.filter(pk=claim.attempt_id).update(
        outcome=outcome,
        status_code=sent.status_code,
        duration_ms=sent.duration_ms,
        error=sent.error,
    )
    delivery = Delivery.objects.select_for_update().get(pk=claim.delivery_id)
    if delivery.attempts != claim.number or delivery.status != DeliveryStatus.PENDING:
        return Recorded()
    delivery.last_status_code = sent.status_code
    delivery.last_duration_ms = sent.duration_ms
    delivery.last_error = sent.error
    delivery.locked_until = None
    retry_at = None
    if sent.ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.finished_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= settings.LEADSITE_WEBHOOKS_MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.finished_at = now
        delivery.next_attempt_at = None
    else:
        retry_at = delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(
        update_fields=[
            "status",
            "finished_at",
            "next_attempt_at",
            "locked_until",
            "last_status_code",
            "last_duration_ms",
            "last_error",
        ]
    )
    subscriptions = Subscription.objects.filter(pk=delivery.subscription_id)
    if sent.ok:
        # One conditional UPDATE, no lock: the row is every delivery's.
        subscriptions.filter(
            Q(failing_since__isnull=False)
            | Q(last_success_at__isnull=True)
            | Q(last_success_at__lt=now - SUCCESS_STAMP_INTERVAL)
        ).update(failing_since=None, last_success_at=now)
        return Recorded(retry_at=None)
    subscriptions.filter(failing_since__isnull=True).update(failing_since=now)
    return Recorded(retry_at=retry_at, paused=_pause_if_failing(delivery, now=now))


def _pause_if_failing(delivery: Delivery, *, now) -> bool:
    """Pause the subscription when it has had only failures for the set time (its
    first failure since the last success is that old), and tell its owner."""
    since = now - datetime.timedelta(hours=settings.LEADSITE_WEBHOOKS_PAUSE_AFTER_HOURS)
    subscription = (
        Subscription.objects.select_for_update()
        .select_related("owner")
        .filter(pk=delivery.subscription_id, is_active=True, failing_since__lte=since)
        .first()
    )
    if subscription is None:
        return False
    subscription.is_active = False
    subscription.paused_at = now
    subscription.pause_reason = PauseReason.FAILING
    subscription.version += 1
    subscription.save(
        update_fields=["is_active", "paused_at", "pause_reason", "version"]
    )
    emit("webhook.paused", subscription, by=None)
    owner = subscription.owner
    if owner.email:
        context = {"subscription": subscription, "owner": owner}
        # In the owner's language and time zone, whichever worker pauses it.
        with locale.speaking(owner.language, owner.time_zone):
            subject = render_to_string(
                "webhooks/email/paused_subject.txt", context
            ).strip()
            message = render_to_string("webhooks/email/paused.txt", context)
        transaction.on_commit(
            lambda: send_mail(subject, message, None, [owner.email]), robust=True
        )
    return True
