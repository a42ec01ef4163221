"""Writes for the API's Idempotency-Key (leadsite.core.api.ApiLoginMixin calls them
through the store registered in accounts/apps.py): claim a key inside the request's
transaction, then keep the response it got."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import IDEMPOTENCY_KEY_LIFETIME, IdempotencyKey, User
from leadsite.core.services import service


@service
def claim_idempotency_key(
    *, user: User, key: str, fingerprint: str
) -> tuple[IdempotencyKey, bool]:
    """(row, True) when `key` is new for `user` (the row is inserted: the caller's
    request does the work and then calls keep_idempotent_response), else (the
    stored row, False). Call inside the request's transaction: a concurrent request
    with the same key waits at the unique index until this one commits or rolls
    back, so two requests never both do the work. A key older than a day is
    forgotten first, with the user's other expired keys."""
    now = timezone.now()
    IdempotencyKey.objects.filter(
        user=user, created_at__lte=now - IDEMPOTENCY_KEY_LIFETIME
    ).delete()
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(
                user=user, key=key, fingerprint=fingerprint, created_at=now
            )
    except IntegrityError:
        return IdempotencyKey.objects.get(user=user, key=key), False
    return row, True


@service
def keep_idempotent_response(
    *, row: IdempotencyKey, status_code: int, content_type: str, headers: dict, body
) -> IdempotencyKey:
    """Store the response the key's first request got (in that request's
    transaction)."""
    row.status_code = status_code
    row.content_type = content_type
    row.headers = headers
    row.body = bytes(body)
    row.save(update_fields=["status_code", "content_type", "headers", "body"])
    return row


class IdempotencyStore:
    """What leadsite.core.api needs of the key table (registered in accounts/apps)."""

    claim = staticmethod(claim_idempotency_key)
    keep = staticmethod(keep_idempotent_response)
