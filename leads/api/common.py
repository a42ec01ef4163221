"""What the leads app's API resources beside the lead share: the lead a nested
resource hangs from (through the gate), the page's own form as the judge of a
request's values, keyset pages on the primary key, and the schema's pieces."""

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions
from rest_framework.settings import api_settings

from leads.exceptions import TransitionRefused
from leads.models import Lead
from leads.selectors import leads as lead_selectors
from leadsite.core.api import Conflict, KeysetPagination

NOT_YOURS = _("No lead here, or not one you can see.")


def lead_or_404(request, pk) -> Lead:
    """The lead `pk` if the caller may see it (the lead list's gate); else 404,
    whatever else the request carries."""
    try:
        return lead_selectors.get_lead(pk=pk, user=request.user)
    except (Lead.DoesNotExist, ValueError, OverflowError):
        raise exceptions.NotFound(NOT_YOURS) from None


def found_or_404(read, message: str):
    """`read()` (a selector's get), or 404 when it finds nothing in scope."""
    try:
        return read()
    except (ObjectDoesNotExist, ValueError, OverflowError):
        raise exceptions.NotFound(message) from None


def checked_by_form(form, *, names: dict | None = None) -> dict:
    """The cleaned data of the page's own form, bound to the request's values: what
    the page refuses, the API refuses with the same words (400, per field). `names`
    renames form fields to the API's (e.g. col_3 → mapping.3)."""
    if form.is_valid():
        return form.cleaned_data
    names = names or {}
    errors = {}
    for name, messages in form.errors.items():
        key = api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else name
        errors[names.get(name, key)] = list(messages)
    raise exceptions.ValidationError(errors)


def refused(error: TransitionRefused) -> Conflict:
    """A step the services refused, as a 409 with their sentence."""
    return Conflict(" ".join(error.messages))


class IdPagination(KeysetPagination):
    """Cursor pages over the primary key, newest first (the index every table has)."""

    ordering = ("-id",)


class IdAscendingPagination(KeysetPagination):
    """Cursor pages over the primary key, oldest first (the order a page lists)."""

    ordering = ("id",)


# --- the schema ------------------------------------------------------------------

FIELDS = OpenApiParameter(
    "fields",
    str,
    description="Comma-separated names: return only these fields.",
)


def path_id(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.INT, location=OpenApiParameter.PATH, description=what
    )


LEAD_PK = path_id("lead_pk", "The lead's id.")


def problem(description: str) -> OpenApiResponse:
    """An error answered as problem details (application/problem+json)."""
    return OpenApiResponse(description=description)


INVALID = problem("Invalid values (problem details with `errors` per field)")
MISSING = problem("Not here, or not one you can see")
REFUSED = problem("The services refused the step; `detail` says why, as the page")
