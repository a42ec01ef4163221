"""What the accounts app's API resources share: the pages' FilterSets as query
parameters, a service's refusal as its HTTP status, the problem responses of the
schema, and the versioned record's resource (list, retrieve, create, partial
update) that accounts, contacts and opportunities are. Pages: pagination.py."""

import functools

import django_filters
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.response import Response

from accounts.api.pagination import OrderedKeysetPagination
from accounts.models import ExportedRecords
from accounts.services import audit
from leadsite.core.api import (
    PROBLEM_CONTENT_TYPE,
    ApiLoginMixin,
    Conflict,
    PreconditionFailed,
    etag,
    if_match_version,
)
from leadsite.core.versioning import EditConflict

# Query parameters of a list that are not filters.
NOT_FILTERS = {"cursor", "page_size", "fields", "ordering"}
# Codes of the services' refusals of a step (a closed opportunity, a transition it
# cannot take now): a 409 with the sentence the page shows. Other sentence-only
# refusals of a create or edit (a constraint over two fields) are invalid values.
REFUSAL_CODES = {"closed", "transition"}


# --- filters ------------------------------------------------------------------------


def _filter_type(filter_):
    if isinstance(filter_, django_filters.ChoiceFilter):
        return int, [value for value, _label in filter_.extra["choices"]]
    if isinstance(filter_, django_filters.BooleanFilter):
        return bool, None
    if isinstance(filter_, django_filters.NumberFilter):
        return int, None
    if isinstance(filter_, django_filters.DateFilter):
        return OpenApiTypes.DATE, None
    return str, None


def filter_parameters(filterset_class, descriptions=None) -> list[OpenApiParameter]:
    """The FilterSet's filters as the list's query parameters."""
    descriptions = descriptions or {}
    parameters = []
    for name, filter_ in filterset_class.base_filters.items():
        kind, enum = _filter_type(filter_)
        parameters.append(
            OpenApiParameter(
                name,
                kind,
                enum=enum,
                # Lazy texts: the schema is written in the reader's language.
                description=descriptions.get(name) or filter_.label or name,
            )
        )
    return parameters


def filtered(filterset):
    """The FilterSet's queryset; a value it cannot use is a 400 naming the filter
    (the page ignores it, an API caller is told)."""
    if not filterset.is_valid():
        raise exceptions.ValidationError(
            {
                name: [str(message) for message in messages]
                for name, messages in filterset.errors.items()
            }
        )
    return filterset.qs


def filter_params(request):
    """The request's query without the parameters that are not filters."""
    params = request.query_params.copy()
    for name in NOT_FILTERS:
        params.pop(name, None)
    return params


# --- refusals -----------------------------------------------------------------------


def run_service(call, *, every_sentence_refuses: bool = False):
    """Call a service. A refusal of the step (a sentence with a refusal code, or any
    sentence when `every_sentence_refuses`: transitions and product lines) is a 409
    with that sentence; field errors stay a 400; a record deleted meanwhile is a
    404. EditConflict goes to the caller (a 412 with the current record)."""
    try:
        return call()
    except EditConflict:
        raise
    except ValidationError as error:
        if not hasattr(error, "error_dict") and (
            every_sentence_refuses
            or all(item.code in REFUSAL_CODES for item in error.error_list)
        ):
            raise Conflict(" ".join(error.messages)) from None
        raise
    except ObjectDoesNotExist:
        raise Http404("That record no longer exists.") from None


# --- the schema: parameters, headers and problems ----------------------------------


class ApiProblemSerializer(serializers.Serializer):
    """Problem details (RFC 9457), as every error answers."""

    type = serializers.CharField(
        help_text=_("`about:blank`, or `urn:leadsite:problem:<code>` for ours.")
    )
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text=_("What happened, in a sentence."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("validation-error: the messages per field (or query parameter)."),
    )


@functools.cache
def stale_problem(serializer_class):
    """The 412 problem of a resource: `current` is the record as stored now (one
    class per resource, so the schema has one component of each)."""
    name = serializer_class.__name__.removesuffix("Serializer")
    return type(
        f"Stale{name}ProblemSerializer",
        (ApiProblemSerializer,),
        {
            "__doc__": "412: the record changed since it was read; nothing was saved.",
            "__module__": __name__,
            "current": serializer_class(
                required=False,
                help_text=_(
                    "The record as stored now (absent when If-Match was not "
                    "one ETag as the API sends it)."
                ),
            ),
        },
    )


FIELDS = OpenApiParameter(
    "fields", str, description=_("Comma-separated names: return only these fields.")
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=True,
    description=_('The record\'s ETag from your last read, e.g. "3".'),
)


def etag_header(*codes) -> OpenApiParameter:
    return OpenApiParameter(
        "ETag",
        str,
        location=OpenApiParameter.HEADER,
        response=list(codes),
        description=_('The record\'s version as an entity tag, e.g. "3".'),
    )


LOCATION = OpenApiParameter(
    "Location",
    str,
    location=OpenApiParameter.HEADER,
    response=[201],
    description=_("The new record's URL."),
)

PROBLEMS = {
    400: _("Invalid values (problem details; `errors` per field or parameter)"),
    401: _("Not signed in, or an unknown, revoked or expired token"),
    403: _("A read-only token writing, or a session write without its CSRF token"),
    404: _("Nothing here, or nothing you can see"),
    409: _("The services refused the step (`detail` is the page's sentence)"),
    412: _("If-Match names another version; nothing was saved (`current`)"),
    415: _("The body is not JSON"),
    428: _("If-Match missing"),
    429: _("Too many requests for this token (Retry-After)"),
}
READ = (401, 429)
WRITE = (400, 401, 403, 415, 429)


def problems(*codes, stale=None) -> dict:
    """Error responses for the schema, as application/problem+json."""
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            response=stale
            if code == 412 and stale is not None
            else ApiProblemSerializer,
            description=PROBLEMS[code],
        )
        for code in sorted(codes)
    }


def record_schema(*, read, write, filterset_class, descriptions=None) -> dict:
    """extend_schema_view arguments for a RecordViewSet."""
    stale = stale_problem(read)
    return {
        "list": extend_schema(
            parameters=[*filter_parameters(filterset_class, descriptions), FIELDS],
            responses={200: read, **problems(400, *READ)},
        ),
        "retrieve": extend_schema(
            parameters=[FIELDS, etag_header(200)],
            responses={200: read, **problems(400, 404, *READ)},
        ),
        "create": extend_schema(
            request=write,
            parameters=[etag_header(201), LOCATION],
            responses={201: read, **problems(*WRITE)},
        ),
        "partial_update": extend_schema(
            request=write,
            parameters=[IF_MATCH, etag_header(200)],
            responses={
                200: read,
                **problems(*WRITE, 404, 409, 412, 428, stale=stale),
            },
        ),
    }


# --- an owned, versioned record ------------------------------------------------------


class RecordViewSet(ApiLoginMixin, viewsets.GenericViewSet):
    """List, retrieve, create and partially update an owned, versioned record
    (account, contact, opportunity) the way its pages do: reads through the page's
    selectors and FilterSet (the record-scope gate: a record outside it is a 404 on
    every verb, checked before anything else), writes through its services.

    Every response that carries a record carries its version as ETag; PATCH needs
    it in If-Match (428 without; 412 with the record as stored now when another
    save came first, checked by the service under the row lock)."""

    pagination_class = OrderedKeysetPagination
    lookup_value_regex = "[0-9]+"
    write_serializer_class = None
    getter = None  # selectors.get_<record>(user=, pk=)
    filterer = None  # selectors.filter_<records>(user=, params=)
    orderings: dict[str, tuple[str, ...]] = {}
    default_ordering = ""

    def _missing(self) -> Http404:
        what = self.queryset.model._meta.verbose_name
        return Http404(f"No {what} here, or not one you can see.")

    def _read(self, pk):
        try:
            return type(self).getter(user=self.request.user, pk=pk)
        except (ObjectDoesNotExist, ValueError, OverflowError):
            raise self._missing() from None

    def get_object(self):
        return self._read(self.kwargs["pk"])

    def fresh(self, record):
        """The record as stored now, through the gate (404 once outside it)."""
        return self._read(record.pk)

    def represent(self, record, *, status_code=status.HTTP_200_OK) -> Response:
        data = self.get_serializer(record).data
        response = Response(data, status=status_code)
        response["ETag"] = etag(record.version)
        return response

    def stale(self, record) -> PreconditionFailed:
        current = self.fresh(record)
        return PreconditionFailed(
            current=self.get_serializer(current).data, version=current.version
        )

    def write_serializer(self, *args, **kwargs):
        return self.write_serializer_class(
            *args, context=self.get_serializer_context(), **kwargs
        )

    # --- reads -------------------------------------------------------------------

    def list(self, request):
        filterset = type(self).filterer(
            user=request.user, params=filter_params(request)
        )
        page = self.paginate_queryset(filtered(filterset))
        response = self.get_paginated_response(
            self.get_serializer(page, many=True).data
        )
        # A read of LEADSITE_EXPORT_LOG_API_ROWS records or more is an export.
        audit.log_api_list_page(
            by=request.user,
            records=ExportedRecords.of_model(self.queryset.model),
            params=request.query_params,
            rows=len(page),
            next_link=response.data["next"],
        )
        return response

    def retrieve(self, request, pk=None):
        return self.represent(self.get_object())

    # --- writes ------------------------------------------------------------------

    def perform_create(self, fields: dict):
        raise NotImplementedError

    def perform_update(self, record, *, version: int, fields: dict):
        raise NotImplementedError

    def create(self, request):
        serializer = self.write_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = run_service(
            lambda: self.perform_create(dict(serializer.validated_data))
        )
        response = self.represent(self.fresh(record), status_code=201)
        response["Location"] = reverse(f"api:{self.basename}-detail", args=[record.pk])
        return response

    def partial_update(self, request, pk=None):
        record = self.get_object()
        version = if_match_version(request)
        serializer = self.write_serializer(record, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        try:
            saved = run_service(
                lambda: self.perform_update(record, version=version, fields=fields)
            )
        except EditConflict:
            raise self.stale(record) from None
        return self.represent(self.fresh(saved))
