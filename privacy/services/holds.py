"""Legal holds: set on a lead or contact with a reason, released with who and
when. While one is active the record cannot be erased (privacy.services.erasure)
nor removed by retention."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Contact
from leads.models import Lead
from leadsite.core.services import service
from privacy.models import LegalHold


@service
@transaction.atomic
def set_legal_hold(*, record, reason: str, by) -> LegalHold:
    """Put `record` (a lead or contact) under a legal hold. A blank reason is a
    ValidationError beside the field. Several holds may be active at once (two
    matters); each is released on its own."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": gettext("Say why the record is held.")})
    hold = LegalHold(
        lead=record if isinstance(record, Lead) else None,
        contact=record if isinstance(record, Contact) else None,
        reason=reason,
        set_by=by,
    )
    hold.full_clean()
    hold.save()
    return hold


@service
@transaction.atomic
def release_legal_hold(*, hold: LegalHold, by) -> LegalHold:
    """Release an active hold (row locked: of two releases one wins; the other is
    refused with a message)."""
    locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if not locked.active:
        raise ValidationError(gettext("This hold was already released."))
    locked.released_by = by
    locked.released_at = timezone.now()
    locked.save(update_fields=["released_by", "released_at"])
    return locked
