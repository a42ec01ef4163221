"""Writes for a user's own settings: the email signature (ending the emails sent
from a record, leads' {{ signature }} placeholder)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import User
from leadsite.core.services import service

SIGNATURE_MAX_LENGTH = 2000


@service
@transaction.atomic
def update_email_signature(*, user: User, by: User, signature: str) -> User:
    """Set `user`'s email signature (lines kept as written, outer blank lines
    dropped). Only the user changes it."""
    if by.pk != user.pk:
        raise PermissionDenied("Only the user changes their own signature.")
    user = User.objects.select_for_update().get(pk=user.pk)
    user.email_signature = signature.strip("\n\r ")[:SIGNATURE_MAX_LENGTH]
    user.save(update_fields=["email_signature"])
    return user
