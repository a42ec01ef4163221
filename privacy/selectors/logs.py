"""The privacy log's reads: access exports and erasures, newest first."""

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from privacy.models import AccessRequest, Erasure


def list_access_requests():
    return AccessRequest.objects.select_related("requested_by").order_by(
        "-requested_at", "-id"
    )


def list_erasures():
    return Erasure.objects.select_related("erased_by").order_by("-erased_at", "-id")


def get_erasure(pk) -> Erasure:
    return list_erasures().get(pk=pk)


def place_rows(erasure: Erasure) -> list[tuple[str, str, int]]:
    """(the place's name, its model label, rows changed) per place the erasure
    reached, by name."""
    rows = []
    for model_label, count in erasure.counts.items():
        try:
            name = str(apps.get_model(model_label)._meta.verbose_name_plural)
        except (LookupError, ValueError, ImproperlyConfigured):
            name = model_label
        rows.append((f"{name[:1].upper()}{name[1:]}", model_label, count))
    return sorted(rows)
