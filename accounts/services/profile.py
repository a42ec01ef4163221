"""Writes for a user's own settings: the email signature (ending the emails sent
from a record, leads' {{ signature }} placeholder), the language and time zone."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from leadsite.core.services import service

SIGNATURE_MAX_LENGTH = 2000


@service
@transaction.atomic
def update_email_signature(*, user: User, by: User, signature: str) -> User:
    """Set `user`'s email signature (lines kept as written, outer blank lines
    dropped). Only the user changes it."""
    if by.pk != user.pk:
        raise PermissionDenied(gettext("Only the user changes their own signature."))
    user = User.objects.select_for_update().get(pk=user.pk)
    user.email_signature = signature.strip("\n\r ")[:SIGNATURE_MAX_LENGTH]
    user.save(update_fields=["email_signature"])
    return user


@service
@transaction.atomic
def update_locale(
    *,
    user: User,
    by: User,
    language: str | None = None,
    time_zone: str | None = None,
) -> User:
    """Set `user`'s language (a code of settings.LANGUAGES; "" follows the
    browser) and/or time zone (a tz database name; "" is the organisation's);
    None leaves one as it is. Only the user changes them; an unknown value is a
    ValidationError."""
    if by.pk != user.pk:
        raise PermissionDenied(
            gettext("Only the user changes their own language and time zone.")
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    fields = []
    for name, value in (("language", language), ("time_zone", time_zone)):
        if value is None:
            continue
        try:
            setattr(user, name, User._meta.get_field(name).clean(value, user))
        except ValidationError as error:
            raise ValidationError({name: error.error_list}) from None
        fields.append(name)
    if fields:
        user.save(update_fields=fields)
    return user
