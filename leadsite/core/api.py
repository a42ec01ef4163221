"""What every API resource shares: problem details for errors (RFC 9457), keyset
pagination, ETag/If-Match on versioned records, `?fields=`, and the views' base
(ApiLoginMixin: login handled by the API itself, 401/403 problem JSON, never a
redirect to the login page; Idempotency-Key, from leadsite.core.idempotency). The
schema's hooks are in leadsite.core.api_schema.

Imports no app: resources map their own domain errors to the exceptions here
(Conflict, PreconditionFailed) and pass representations in.
"""

import copy
from http import HTTPStatus

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from leadsite.core.idempotency import (
    IDEMPOTENCY_HEADER,
    REPLAYED_HEADERS,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    Replay,
    idempotency_store,
    replay_response,
    request_fingerprint,
    valid_key,
)

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Where the API lives: errors under it are problem details, whoever answers.
API_PREFIX = "/api/"
# Problem types of our own; every other problem is "about:blank" (its title is the
# HTTP status phrase, RFC 9457 §4.2.1).
PROBLEM_TYPE = "urn:leadsite:problem:{code}"
OUR_PROBLEMS = {
    "validation-error": _("Your request has invalid values."),
    "transition-refused": _("The record cannot take this step now."),
    "edit-conflict": _("The record changed since you read it."),
    "precondition-required": _("Send the record's ETag in If-Match."),
    "parse-error": _("The request body could not be read."),
    "possible-duplicates": _("Records like these already exist."),
    "idempotency-key-reused": _("This Idempotency-Key was used for another request."),
    "idempotency-key-in-use": _("A request with this Idempotency-Key is running."),
}


# --- exceptions the resources raise --------------------------------------------------


class Conflict(exceptions.APIException):
    """409: the services refused the step (the sentence the page shows). `members`
    go into the problem as they are (e.g. the matches a qualify found)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the record's current state.")
    default_code = "transition-refused"

    def __init__(self, detail=None, *, code=None, members=None):
        super().__init__(detail, code)
        if code:
            self.default_code = code
        self.members = members or {}


class PreconditionRequired(exceptions.APIException):
    """428: a write without If-Match."""

    status_code = 428
    default_detail = _(
        "This request changes a record: send its ETag (from your last read) in the "
        "If-Match header."
    )
    default_code = "precondition-required"


class PreconditionFailed(exceptions.APIException):
    """412: If-Match names another version; `current` is the record as stored now
    (its representation), sent back with its ETag so the caller can retry."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _(
        "The record changed since you read it; nothing was saved. Its current "
        "representation is in `current`."
    )
    default_code = "edit-conflict"

    def __init__(self, *, current=None, version=None, detail=None):
        super().__init__(detail)
        self.current = current
        self.version = version


# --- problem details ----------------------------------------------------------------


def _field_errors(detail) -> dict:
    """DRF's nested error detail → {field: [messages]} (nested keys joined by dots)."""
    errors = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and value and not isinstance(value[0], str):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}" if prefix else str(index), inner)
        else:
            messages = value if isinstance(value, list) else [value]
            errors.setdefault(prefix or api_settings.NON_FIELD_ERRORS_KEY, []).extend(
                str(message) for message in messages
            )

    walk("", detail)
    return errors


def _from_django(exc):
    """Django's own exceptions as their DRF counterparts."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        )
    return exc


def problem_body(status_code: int, *, code: str = "", detail: str = "", **members):
    """The members of a problem details document (RFC 9457)."""
    return {
        "type": PROBLEM_TYPE.format(code=code)
        if code in OUR_PROBLEMS
        else "about:blank",
        "title": str(OUR_PROBLEMS.get(code) or HTTPStatus(status_code).phrase),
        "status": status_code,
        "detail": str(detail or HTTPStatus(status_code).description),
        **members,
    }


def problem(status_code: int, *, code: str = "", detail: str = "", **members):
    """A problem details response (application/problem+json)."""
    body = problem_body(status_code, code=code, detail=detail, **members)
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every handled error as problem details.

    Validation errors carry `errors` ({field: [messages]}); a 412 carries `current`
    (the stored representation) and its ETag. Anything DRF does not handle (a bug)
    stays a 500 through Django's handler."""
    exc = _from_django(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    members = {}
    if isinstance(exc, exceptions.ValidationError):
        code = "validation-error"
        members["errors"] = _field_errors(exc.detail)
        detail = gettext(
            "Correct the values listed in `errors` and send the request again."
        )
        non_field = members["errors"].get(api_settings.NON_FIELD_ERRORS_KEY)
        if non_field and len(members["errors"]) == 1:
            detail = " ".join(non_field)
    else:
        code = exc.default_code if isinstance(exc, exceptions.APIException) else ""
        if isinstance(exc, exceptions.ParseError):
            code = "parse-error"
        detail = str(exc.detail) if hasattr(exc, "detail") else ""
    if isinstance(exc, PreconditionFailed) and exc.current is not None:
        members["current"] = exc.current
    members.update(getattr(exc, "members", {}))
    result = problem(response.status_code, code=code, detail=detail, **members)
    # Problems are JSON whatever the view renders (the schema's YAML, the docs' HTML).
    request = context.get("request")
    if request is not None:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    for header, value in response.headers.items():
        if header.lower() in ("www-authenticate", "retry-after", "allow"):
            result[header] = value
    if isinstance(exc, PreconditionFailed) and exc.version is not None:
        result["ETag"] = etag(exc.version)
    return result


# --- versions as ETags -------------------------------------------------------------


def etag(version: int) -> str:
    """A record's version as a strong entity tag."""
    return f'"{version}"'


def if_match_version(request) -> int:
    """The version a write is based on, from If-Match.

    Missing: PreconditionRequired (428). Anything but one strong tag holding a
    version (a weak tag, "*", a list) cannot match a version: PreconditionFailed
    (412), as a tag of another version would."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    if len(header) > 2 and header[0] == header[-1] == '"' and header[1:-1].isdigit():
        return int(header[1:-1])
    raise PreconditionFailed(
        detail=gettext(
            'If-Match must be one ETag as the API sent it, e.g. "3"; nothing was saved.'
        )
    )


# --- pagination ----------------------------------------------------------------------


class KeysetPagination(CursorPagination):
    """Cursor pagination over (-created_at, -id): the next page starts where the
    last one ended (an index range, no OFFSET), so page 10,000 costs what page 1
    costs, and rows added meanwhile never shift a page. No total count."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# --- fewer fields --------------------------------------------------------------------


class FieldsMixin(serializers.Serializer):
    """`?fields=a,b` on the request keeps only those fields of the representation;
    an unknown name is a 400 that lists the known ones.

    A ModelSerializer builds its fields from the model on every instance (1.6 ms
    for a lead, more than the representation itself): they are built once per
    class and each instance gets its own copy (0.7 ms), which __init__ may then
    change (querysets limited to the user)."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            cls._built_fields = built
        return copy.deepcopy(built)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        wanted = request.query_params.get("fields") if request is not None else None
        if not wanted or request.method != "GET":
            return
        names = [name.strip() for name in wanted.split(",") if name.strip()]
        unknown = sorted(set(names) - set(self.fields))
        if unknown:
            raise exceptions.ValidationError(
                {
                    "fields": [
                        gettext("Unknown field(s): %(unknown)s. Known: %(known)s.")
                        % {
                            "unknown": ", ".join(unknown),
                            "known": ", ".join(self.fields),
                        }
                    ]
                }
            )
        for name in set(self.fields) - set(names):
            self.fields.pop(name)


# --- login -------------------------------------------------------------------------


class ApiLoginMixin:
    """API views authenticate themselves (REST_FRAMEWORK's authentication and
    permission classes): LoginRequiredMiddleware lets them through, so an anonymous
    caller gets a 401/403 problem, not a redirect to the login page.

    A POST with an Idempotency-Key runs in one transaction with the key's row:
    the first request with a key does the work and its 2xx response is kept; the
    same key and request within 24 h answers that response again (header
    Idempotent-Replayed) and does nothing; the same key with another request is a
    422. A request that fails keeps no key (its transaction rolls back), so it may
    be sent again with the same key. Two concurrent requests with one key: the
    second waits for the first at the key's unique index, then replays it."""

    @classmethod
    def as_view(cls, *args, **kwargs):
        return login_not_required(super().as_view(*args, **kwargs))

    def _wants_idempotency(self, request) -> bool:
        return (
            request.method == "POST"
            and IDEMPOTENCY_HEADER in request.headers
            and idempotency_store() is not None
        )

    def dispatch(self, request, *args, **kwargs):
        if not self._wants_idempotency(request):
            return super().dispatch(request, *args, **kwargs)
        self._idempotency_row = None
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            row = self._idempotency_row
            if row is not None:
                if 200 <= response.status_code < 300:
                    if hasattr(response, "render"):
                        response.render()
                    idempotency_store().keep(
                        row=row,
                        status_code=response.status_code,
                        content_type=response.get("Content-Type", ""),
                        headers={
                            h: response[h] for h in REPLAYED_HEADERS if h in response
                        },
                        body=response.content,
                    )
                else:
                    # Nothing of a refused request stays, its key included.
                    transaction.set_rollback(True)
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions
        # Keys belong to a user; public endpoints (capture) have their own guard.
        if not self._wants_idempotency(request) or not request.user.is_authenticated:
            return
        key = request.headers[IDEMPOTENCY_HEADER].strip()
        if not valid_key(key):
            raise exceptions.ValidationError(
                {
                    IDEMPOTENCY_HEADER: [
                        gettext(
                            "Send 1 to 255 printable ASCII characters, e.g. a UUID."
                        )
                    ]
                }
            )
        fingerprint = request_fingerprint(request)
        row, new = idempotency_store().claim(
            user=request.user, key=key, fingerprint=fingerprint
        )
        if new:
            self._idempotency_row = row
            return
        if row.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if row.status_code is None:
            raise IdempotencyKeyInUse()
        raise Replay(replay_response(row))

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return exc.response
        return super().handle_exception(exc)
