"""Access exports: everything held about a person as one ZIP, built while the
privacy officer waits and streamed to them, never stored on the server.

Built at once rather than as a background job (the lead list's ExportJob): an
export reads one person's records, a bounded amount even with attachments (each
at most LEADSITE_ATTACHMENT_MAX_SIZE), and a stored ZIP would be one more copy of
exactly the data an erasure must find, to be protected, expired and removed. The
ZIP spools to a temporary file past SPOOL_BYTES, so memory stays flat.
"""

import hashlib
import json
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from typing import IO

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from leadsite.core.services import service
from privacy.models import AccessRequest
from privacy.selectors.export import export_contents
from privacy.selectors.people import Subject

FORMAT = "LeadSite access export 1"
SPOOL_BYTES = 16 * 1024 * 1024
CHUNK = 1024 * 1024


@dataclass
class AccessExport:
    request: AccessRequest
    file: IO[bytes]  # the ZIP, at its start
    filename: str


def _json(value) -> bytes:
    return json.dumps(
        value, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False
    ).encode("utf-8")


def _category(path: str) -> str:
    """ "leads/12/notes.json" → "notes"; an original file → "attachment files"."""
    if "/attachments/" in path:
        return "attachment files"
    return path.rsplit("/", 1)[-1].removesuffix(".json")


def _copy_attachment(archive, path, attachment) -> dict:
    digest, size = hashlib.sha256(), 0
    entry = {"path": path, "kind": "attachment", "attachment_id": attachment.pk}
    try:
        source = attachment.file.storage.open(attachment.file.name, "rb")
    except (FileNotFoundError, OSError):
        return {**entry, "items": 0, "bytes": 0, "sha256": "", "missing": True}
    with source, archive.open(path, "w") as target:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
            size += len(chunk)
    return {**entry, "items": 1, "bytes": size, "sha256": digest.hexdigest()}


def _counts(listed) -> dict[str, int]:
    """Items per kind ("notes", "attachment files"...), over every record."""
    counts = Counter()
    for entry in listed:
        counts[_category(entry["path"])] += entry["items"]
    return dict(sorted(counts.items()))


def _write_zip(handle, subject: Subject, *, by, now) -> list[dict]:
    """The ZIP's files and then its manifest; returns the manifest's file list."""
    contents = export_contents(subject)
    listed = []
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in contents.parts:
            data = _json(part.items)
            archive.writestr(part.path, data)
            listed.append(
                {
                    "path": part.path,
                    "kind": "json",
                    "items": len(part.items),
                    "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
        for path, attachment in contents.files:
            listed.append(_copy_attachment(archive, path, attachment))
        counts = _counts(listed)
        manifest = {
            "format": FORMAT,
            "generated_at": now,
            "generated_by": by.get_username(),
            "person": subject.label,
            "records": {"leads": subject.lead_ids, "contacts": subject.contact_ids},
            "counts": counts,
            "item_count": sum(counts.values()),
            "file_count": len(listed),
            "files": listed,
        }
        archive.writestr("manifest.json", _json(manifest))
    return listed


def _digest(handle) -> tuple[str, int]:
    handle.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    handle.seek(0)
    return digest.hexdigest(), size


@service
def export_person(*, subject: Subject, by, query: str = "") -> AccessExport:
    """Build the subject's access export (privacy.selectors.export: every file,
    then manifest.json listing each with its items, bytes and SHA-256) and log it
    (AccessRequest: who, when, for whom, how many items, the ZIP's SHA-256). The
    log row is written once the ZIP is complete; reads only otherwise."""
    now = timezone.now()
    handle = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    listed = _write_zip(handle, subject, by=by, now=now)
    sha256, size = _digest(handle)
    with transaction.atomic():
        request = AccessRequest.objects.create(
            requested_by=by,
            requested_at=now,
            person=subject.label[:300],
            query=query[:320],
            lead_ids=subject.lead_ids,
            contact_ids=subject.contact_ids,
            # Per kind, never per path: an attachment's path holds its file name.
            counts=_counts(listed),
            item_count=sum(entry["items"] for entry in listed),
            file_count=len(listed) + 1,
            size=size,
            sha256=sha256,
        )
    filename = f"access-export-{timezone.localtime(now):%Y%m%d-%H%M%S}-{request.pk}.zip"
    return AccessExport(request=request, file=handle, filename=filename)
