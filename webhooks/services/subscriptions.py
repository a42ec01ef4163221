"""Writes of subscriptions: create, change, delete, rotate the secret, pause and
resume, a test event, and "send again" of one delivery.

Only administrators and managers subscribe (webhooks.permissions); a manager
changes only their own subscriptions, an administrator any. Every service takes the
acting user as `by=`. After a service that makes deliveries due (resume, send again,
test event), the caller wakes the worker (webhooks.tasks.wake)."""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from leadsite.core.events import EVENT_TYPES, emit
from leadsite.core.services import service
from leadsite.core.validation import full_clean
from leadsite.core.versioning import changed_fields, check_version
from webhooks.models import (
    TEST_EVENT,
    Delivery,
    DeliveryStatus,
    Event,
    PauseReason,
    Subscription,
    new_secret,
)
from webhooks.permissions import may_use_webhooks, visible_subscriptions
from webhooks.sending import AddressRefused, literal_address_refusal
from webhooks.services.outbox import event_body

EDITABLE = {"url", "description", "events", "is_active"}


def _refuse_unless_may_subscribe(by: User) -> None:
    if not may_use_webhooks(by):
        raise PermissionDenied(
            gettext("Only administrators and managers use webhooks.")
        )


def _locked(subscription: Subscription, by: User) -> Subscription:
    """The subscription's row, locked, if `by` may change it (PermissionDenied
    else: a manager reaches only their own)."""
    _refuse_unless_may_subscribe(by)
    locked = (
        visible_subscriptions(by, Subscription.objects.select_for_update())
        .filter(pk=subscription.pk)
        .first()
    )
    if locked is None:
        raise PermissionDenied(gettext("You may not change this subscription."))
    return locked


def _clean_events(events) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        raise ValidationError({"events": gettext("Choose at least one event.")})
    unknown = sorted({str(e) for e in events} - set(EVENT_TYPES))
    if unknown:
        raise ValidationError(
            {
                "events": gettext("Unknown event type(s): %(types)s.")
                % {"types": ", ".join(unknown)}
            }
        )
    # In the list's own order, each once.
    return [event for event in EVENT_TYPES if event in events]


def _check_url(url: str) -> None:
    try:
        refusal = literal_address_refusal(url)
    except AddressRefused as error:
        raise ValidationError({"url": str(error)}) from None
    if refusal and not settings.LEADSITE_WEBHOOKS_ALLOW_PRIVATE:
        raise ValidationError(
            {
                "url": gettext("%(refusal)s Webhooks go to public addresses only.")
                % {"refusal": refusal}
            }
        )


def _validate(subscription: Subscription) -> None:
    subscription.events = _clean_events(subscription.events)
    full_clean(subscription)
    _check_url(subscription.url)


@service
@transaction.atomic
def create_subscription(
    *,
    by: User,
    url: str,
    events: list[str],
    description: str = "",
    is_active: bool = True,
) -> Subscription:
    """Subscribe `url` to `events` for `by` (an administrator or a manager), with a
    new signing secret. The URL must be http(s); one that names a private,
    loopback or link-local address is refused here already (unless
    LEADSITE_WEBHOOKS_ALLOW_PRIVATE), and every send checks the resolved address."""
    _refuse_unless_may_subscribe(by)
    subscription = Subscription(
        owner=by,
        url=url,
        events=events,
        description=description,
        is_active=is_active,
    )
    if not is_active:
        subscription.paused_at = timezone.now()
        subscription.pause_reason = PauseReason.OWNER
    _validate(subscription)
    subscription.save()
    return subscription


@service
@transaction.atomic
def update_subscription(
    *,
    subscription: Subscription,
    by: User,
    expected_version: int | None = None,
    **fields,
) -> Subscription:
    """Change the URL, events, description or the active switch (turning it on is
    resume_subscription's, off pause_subscription's). With `expected_version`, a
    change made meanwhile raises EditConflict (checked under the row lock); the
    version rises when a value changes."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValueError(
            f"update_subscription cannot change {', '.join(sorted(unknown))}."
        )
    locked = _locked(subscription, by)
    check_version(locked, expected_version)
    active = fields.pop("is_active", locked.is_active)
    fields = changed_fields(locked, fields)
    if fields:
        for name, value in fields.items():
            setattr(locked, name, value)
        _validate(locked)
        locked.version += 1
        locked.save()
    if active != locked.is_active:
        _set_active(locked, active, by=by)
    return locked


@service
@transaction.atomic
def delete_subscription(
    *, subscription: Subscription, by: User, expected_version: int | None = None
) -> None:
    """Delete a subscription with its delivery log (events stay in the outbox)."""
    locked = _locked(subscription, by)
    check_version(locked, expected_version)
    locked.delete()


@service
@transaction.atomic
def rotate_secret(*, subscription: Subscription, by: User) -> Subscription:
    """A new signing secret. For LEADSITE_WEBHOOKS_SECRET_OVERLAP_HOURS the
    deliveries carry a second signature made with the old one, so a receiver can
    switch to the new secret without rejecting a message meanwhile."""
    locked = _locked(subscription, by)
    locked.previous_secret = locked.secret
    locked.previous_secret_expires_at = timezone.now() + datetime.timedelta(
        hours=settings.LEADSITE_WEBHOOKS_SECRET_OVERLAP_HOURS
    )
    locked.secret = new_secret()
    locked.version += 1
    locked.save()
    return locked


def _set_active(
    locked: Subscription, active: bool, *, by: User, reason=PauseReason.OWNER
):
    now = timezone.now()
    locked.is_active = active
    if active:
        locked.paused_at = None
        locked.pause_reason = ""
        locked.failing_since = None
        # What waited meanwhile goes out now.
        Delivery.objects.filter(
            subscription=locked, status=DeliveryStatus.PENDING
        ).update(next_attempt_at=now, locked_until=None)
    else:
        locked.paused_at = now
        locked.pause_reason = reason
    locked.version += 1
    locked.save()
    if not active:
        emit("webhook.paused", locked, by=by.pk)


@service
@transaction.atomic
def pause_subscription(*, subscription: Subscription, by: User) -> Subscription:
    """Stop sending to this URL; its events are kept and sent once resumed."""
    locked = _locked(subscription, by)
    if locked.is_active:
        _set_active(locked, False, by=by)
    return locked


@service
@transaction.atomic
def resume_subscription(*, subscription: Subscription, by: User) -> Subscription:
    """Send again: every pending delivery is due now (those kept while paused
    included) and the failure clock starts over. The caller wakes the worker."""
    locked = _locked(subscription, by)
    if not locked.is_active:
        _set_active(locked, True, by=by)
    return locked


@service
@transaction.atomic
def send_test_event(*, subscription: Subscription, by: User) -> Delivery:
    """A "webhook.test" event for this subscription alone, due now (sent once the
    subscription is active, like every delivery). The caller wakes the worker."""
    locked = _locked(subscription, by)
    now = timezone.now()
    event = Event.objects.create(
        type=TEST_EVENT,
        body=event_body(
            TEST_EVENT,
            {"subscription": locked.pk, "message": "A test event from LeadSite."},
            at=now,
        ),
        created_at=now,
        dispatched_at=now,
    )
    return Delivery.objects.create(
        event=event, subscription=locked, next_attempt_at=now
    )


@service
@transaction.atomic
def replay_delivery(*, delivery: Delivery, by: User) -> Delivery:
    """Send a delivery again ("Send again"), whatever became of it: it is pending
    and due now, with the same event id and body (a new timestamp and signature);
    its attempts go on counting. A subscription that is paused sends it once
    resumed. A delivery whose record the owner no longer sees is skipped again."""
    _locked(delivery.subscription, by)
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    locked.status = DeliveryStatus.PENDING
    locked.next_attempt_at = timezone.now()
    locked.locked_until = None
    locked.finished_at = None
    locked.save(
        update_fields=["status", "next_attempt_at", "locked_until", "finished_at"]
    )
    return locked
