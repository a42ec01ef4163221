"""Content checks for uploaded attachments: size limit and a type allow-list judged by
the file's bytes (magic numbers via `filetype`), not by the name the browser sent."""

import os
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

DEFAULT_MAX_UPLOAD_SIZE = 5 * 1024 * 1024

# Detected MIME type -> file name extensions that may carry it.
ALLOWED_TYPES = {
    "application/pdf": {"pdf"},
    "image/png": {"png"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/gif": {"gif"},
    "image/webp": {"webp"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx"},
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {
        "pptx"
    },
    "application/msword": {"doc"},
    "application/vnd.ms-excel": {"xls"},
    "application/vnd.oasis.opendocument.text": {"odt"},
    "application/vnd.oasis.opendocument.spreadsheet": {"ods"},
}
# Plain text has no magic number: accepted only by extension AND a clean UTF-8 decode.
TEXT_TYPES = {"txt": "text/plain", "csv": "text/csv"}

ALLOWED_DESCRIPTION = _(
    "PDF, PNG, JPEG, GIF, WebP, Word (docx, doc), Excel (xlsx, xls), PowerPoint "
    "(pptx), OpenDocument (odt, ods), plain text (txt) and CSV"
)


@dataclass(frozen=True)
class CheckedUpload:
    original_name: str
    content_type: str
    size: int


def max_upload_size() -> int:
    return getattr(settings, "LEADSITE_MAX_UPLOAD_SIZE", DEFAULT_MAX_UPLOAD_SIZE)


def clean_original_name(name: str) -> str:
    """The user's file name without any path, control characters or surrounding dots."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")
    if not name:
        name = "attachment"
    if len(name) > 255:
        stem, ext = os.path.splitext(name)
        name = stem[: 255 - len(ext)] + ext
    return name


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower().lstrip(".")


def _read_all(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def _read_head(upload, size: int = 8192) -> bytes:
    upload.seek(0)
    head = upload.read(size)
    upload.seek(0)
    return head


def check_upload(upload) -> CheckedUpload:
    """Validate an uploaded file; return its clean name, detected type and size.

    Raises ValidationError with a message for the user when the file is too big, empty,
    of a type outside the allow-list, or its content does not match its extension.
    """
    name = clean_original_name(getattr(upload, "name", ""))
    size = upload.size
    limit = max_upload_size()
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s."),
            code="too_big",
            params={"size": filesizeformat(size), "limit": filesizeformat(limit)},
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    ext = _extension(name)
    kind = filetype.guess(_read_head(upload))
    if kind is None:
        if ext in TEXT_TYPES and _is_utf8_text(_read_all(upload)):
            return CheckedUpload(name, TEXT_TYPES[ext], size)
        raise ValidationError(
            _("This type of file is not allowed. Allowed: %(allowed)s."),
            code="type",
            params={"allowed": ALLOWED_DESCRIPTION},
        )
    if kind.mime not in ALLOWED_TYPES:
        raise ValidationError(
            _(
                "Files of this type (%(detected)s) are not allowed. "
                "Allowed: %(allowed)s."
            ),
            code="type",
            params={"detected": kind.mime, "allowed": ALLOWED_DESCRIPTION},
        )
    if ext not in ALLOWED_TYPES[kind.mime]:
        raise ValidationError(
            _(
                "The file's content is %(detected)s, which does not match its name "
                "(%(ext)s); rename it to .%(expected)s and upload it again."
            ),
            code="mismatch",
            params={
                "detected": kind.mime,
                "ext": f"“.{ext}”" if ext else _("no extension"),
                "expected": sorted(ALLOWED_TYPES[kind.mime])[0],
            },
        )
    return CheckedUpload(name, kind.mime, size)


def _is_utf8_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def attachment_response(attachment) -> FileResponse:
    """The stored file as a download under its original name, with the type its
    content was judged to be and `nosniff` (the page and the API alike).
    FileNotFoundError when storage has lost it."""
    handle = attachment.file.open("rb")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
