"""Idempotency-Key of the API's POSTs: what leadsite.core.api.ApiLoginMixin needs
to recognise a repeated request (its fingerprint), to refuse a key reused for
another one, and to answer the first response again; the keys themselves live in
the store an app registers (accounts: its IdempotencyKey table). Imports no app."""

import hashlib

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.http.request import RawPostDataException
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Response headers a replay repeats (with the body, status and content type).
REPLAYED_HEADERS = ("Location", "ETag")
# Where the keys live: registered by the accounts app (its IdempotencyKey table);
# this module imports no app. `claim(user=, key=, fingerprint=)` -> (row, new) and
# `keep(row=, status_code=, content_type=, headers=, body=)`.
_idempotency_store = None


def register_idempotency_store(store) -> None:
    global _idempotency_store
    _idempotency_store = store


def idempotency_store():
    """The registered store, or None (then keys are not honoured)."""
    return _idempotency_store


class IdempotencyKeyReused(exceptions.APIException):
    """422: the key came with another request (method, path or body) before."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "This Idempotency-Key was sent with another request in the last 24 hours. "
        "Use a new key for a new request."
    )
    default_code = "idempotency-key-reused"


class IdempotencyKeyInUse(exceptions.APIException):
    """409: the key's first request has not finished (only when it could not wait
    for it)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A request with this Idempotency-Key is still running.")
    default_code = "idempotency-key-in-use"


class Replay(Exception):
    def __init__(self, response):
        self.response = response


def request_fingerprint(request) -> str:
    """SHA-256 of the method, path, query, content type and body (of a multipart
    upload: its fields and files). A body too large to hold counts by its
    length."""
    digest = hashlib.sha256()
    for part in (
        request.method,
        request.get_full_path(),
        request.content_type or "",
    ):
        digest.update(part.encode() + b"\0")
    try:
        digest.update(request.body)
    except RawPostDataException:
        # A multipart upload, already parsed: its fields, and each file's name,
        # size and content.
        for name, values in sorted(request.POST.lists()):
            for value in values:
                digest.update(f"{name}={value}\0".encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(f"{name}:{upload.name}:{upload.size}\0".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    except RequestDataTooBig:
        digest.update(str(request.META.get("CONTENT_LENGTH", "")).encode())
    return digest.hexdigest()


def valid_key(key: str) -> bool:
    return 0 < len(key) <= 255 and key.isascii() and key.isprintable()


def replay_response(row) -> HttpResponse:
    response = HttpResponse(
        bytes(row.body), status=row.status_code, content_type=row.content_type
    )
    for header, value in row.headers.items():
        response[header] = value
    response["Idempotent-Replayed"] = "true"
    return response
