"""Writes for personal API tokens: create (the key shown once, only its hash kept),
revoke, and the last-used time (accounts/api/authentication.py)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import (
    ApiToken,
    TokenScope,
    User,
    new_api_key,
)
from accounts.permissions import is_administrator
from leadsite.core.services import service
from leadsite.core.validation import full_clean

# A token's last-used time is written at most this often (not on every request).
API_TOKEN_TOUCH_INTERVAL = datetime.timedelta(minutes=1)


def _refuse_unless_own_or_admin(*, user: User, by: User) -> None:
    if by.pk != user.pk and not is_administrator(by):
        raise PermissionDenied(
            gettext("Only the user or an administrator manages its tokens.")
        )


@service
@transaction.atomic
def create_api_token(
    *,
    user: User,
    name: str,
    scope: str = TokenScope.READ,
    expires_at: datetime.datetime | None = None,
    by: User,
) -> tuple[ApiToken, str]:
    """Create a named token for `user` (by the user or an administrator). Returns the
    token and its full key: the key is not stored (only its hash), so this is the
    one time anyone sees it."""
    _refuse_unless_own_or_admin(user=user, by=by)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": gettext("Choose a moment in the future.")})
    key, prefix, key_hash = new_api_key()
    token = ApiToken(
        user=user,
        name=name,
        scope=scope,
        expires_at=expires_at,
        prefix=prefix,
        key_hash=key_hash,
    )
    full_clean(token)
    token.save()
    return token, key


@service
@transaction.atomic
def revoke_api_token(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke a token for good (by its user or an administrator); revoking a revoked
    token keeps its first revocation time."""
    _refuse_unless_own_or_admin(user=token.user, by=by)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@service
def record_api_token_use(*, token: ApiToken) -> None:
    """Note that `token` authenticated a request. At most one write a minute per token:
    a single conditional UPDATE (no lock, no signals, no history), so concurrent
    requests write it once between them."""
    now = timezone.now()
    stale = now - API_TOKEN_TOUCH_INTERVAL
    if token.last_used_at is not None and token.last_used_at > stale:
        return
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=token.pk
    ).update(last_used_at=now)
    token.last_used_at = now
