"""Legal holds: the active ones that block an erasure, a record's holds, and the
list of all active holds."""

from django.db.models import F, Q

from privacy.models import LegalHold


def _holds():
    return LegalHold.objects.select_related("lead", "contact", "set_by", "released_by")


def active_holds(*, lead_ids=(), contact_ids=()):
    """The active holds on any of these leads or contacts, oldest first."""
    lead_ids, contact_ids = list(lead_ids), list(contact_ids)
    if not lead_ids and not contact_ids:
        return _holds().none()
    return (
        _holds()
        .filter(released_at__isnull=True)
        .filter(Q(lead_id__in=lead_ids) | Q(contact_id__in=contact_ids))
        .order_by("set_at", "id")
    )


def record_holds(record):
    """Every hold on one lead or contact (active first, then newest)."""
    field = "lead" if record._meta.model_name == "lead" else "contact"
    return (
        _holds()
        .filter(**{field: record})
        .order_by(F("released_at").desc(nulls_first=True), "-set_at", "-id")
    )


def record_has_active_hold(record) -> bool:
    field = "lead" if record._meta.model_name == "lead" else "contact"
    return LegalHold.objects.filter(
        **{field: record}, released_at__isnull=True
    ).exists()


def list_active_holds():
    """Every active hold, newest first."""
    return _holds().filter(released_at__isnull=True).order_by("-set_at", "-id")


def get_hold(pk) -> LegalHold:
    return _holds().get(pk=pk)
