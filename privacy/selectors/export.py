"""What an access export holds: every row about the person, read as JSON-ready
dictionaries, file by file (privacy.services.access writes them into the ZIP).

Per lead (leads/<id>/) and per contact (contacts/<id>/): the record with its
owner and links, its change history, its transition log, its timeline (activities,
notes, emails sent and received, attachments with their original files), and for
a lead its routing log, import rows, capture submissions and inbound mail
receipts; then every other row tied to the record (privacy.selectors.places
.tied_relations: consents, duplicate flags, interests, scores...),
one file per kind, so a model added later is exported without a change here.
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django_fsm_log.models import StateLog

from accounts.models import Contact, Opportunity
from leads.models import (
    Activity,
    Attachment,
    CaptureSubmission,
    EmailMessage,
    ImportRow,
    InboundMessage,
    Lead,
    LeadAssignment,
    Note,
)
from privacy.models import LegalHold
from privacy.selectors.people import Subject
from privacy.selectors.places import history_model, label, tied_relations

# Tied rows that have a file of their own in the export, or none: a legal hold is
# the organisation's own matter (its reason may be a claim against the person).
OWN_FILES = {
    LegalHold,
    Activity,
    Note,
    EmailMessage,
    Attachment,
    LeadAssignment,
    ImportRow,
    CaptureSubmission,
    InboundMessage,
}


@dataclass
class ExportPart:
    """One JSON file of the export: its path in the ZIP and its items."""

    path: str
    items: list = field(default_factory=list)


@dataclass
class ExportContents:
    parts: list[ExportPart] = field(default_factory=list)
    # (path in the ZIP, attachment) of every original file
    files: list[tuple[str, Attachment]] = field(default_factory=list)


def row(obj, *, exclude=()) -> dict:
    """A row's stored values by column (foreign keys as ids, choices with their
    label, files by their stored name); generated columns left out."""
    data = {}
    for f in obj._meta.concrete_fields:
        if f.name in exclude or getattr(f, "generated", False):
            continue
        value = f.value_from_object(obj)
        if isinstance(f, models.FileField):
            value = value.name if value else ""
        elif isinstance(value, memoryview | bytes):
            value = bytes(value).decode("utf-8", errors="replace")
        data[f.attname] = value
        if f.choices and value not in (None, ""):
            data[f"{f.name}_label"] = str(dict(f.flatchoices).get(value, value))
    return data


def _label(obj) -> str:
    return str(obj) if obj is not None else ""


def _record(record) -> dict:
    data = row(record)
    data["owner"] = _label(record.owner_user or record.owner_team)
    data["business_unit_name"] = _label(record.business_unit)
    if isinstance(record, Lead):
        data["campaign_name"] = _label(record.campaign)
    else:
        data["account_name"] = _label(record.account)
    return data


def _history(record) -> list[dict]:
    rows = (
        history_model(type(record))
        .objects.filter(id=record.pk)
        .select_related("history_user")
    )
    return [
        {**row(h, exclude=("history_user",)), "history_user": _label(h.history_user)}
        for h in rows.order_by("history_date", "history_id")
    ]


def _transitions(model, ids) -> list[dict]:
    if not ids:
        return []
    logs = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=ids
    ).select_related("by")
    return [
        {**row(log, exclude=("by",)), "by": _label(log.by), "model": label(model)}
        for log in logs.order_by("timestamp", "pk")
    ]


def _rows(queryset, **extra) -> list[dict]:
    return [{**row(obj), **{k: f(obj) for k, f in extra.items()}} for obj in queryset]


def _timeline(prefix, regarding: Q, contents: ExportContents) -> list[ExportPart]:
    activities = Activity.objects.filter(regarding).order_by("created_at", "pk")
    attachments = Attachment.objects.filter(regarding).order_by("created_at", "pk")
    listed = []
    for attachment in attachments:
        name = attachment.original_name.replace("/", "_").replace("\\", "_")
        path = f"{prefix}attachments/{attachment.pk}-{name}"
        contents.files.append((path, attachment))
        listed.append({**row(attachment), "file_in_export": path})
    emails = EmailMessage.objects.filter(regarding).order_by("created_at", "pk")
    return [
        ExportPart(f"{prefix}activities.json", _rows(activities)),
        ExportPart(
            f"{prefix}notes.json",
            _rows(Note.objects.filter(regarding).order_by("created_at", "pk")),
        ),
        ExportPart(f"{prefix}emails.json", _rows(emails)),
        ExportPart(f"{prefix}attachments.json", listed),
    ]


def _tied(prefix, record, handled) -> list[ExportPart]:
    """Every other row tied to the record by a foreign key, one file per kind."""
    parts = []
    for model, field_name, target in tied_relations():
        if model in handled or not isinstance(record, target):
            continue
        rows = model._base_manager.filter(**{field_name: record}).order_by("pk")
        items = _rows(rows)
        if items:
            name = label(model).lower()
            if field_name != target._meta.model_name:
                name = f"{name}-{field_name}"  # a second tie (a duplicate's match)
            parts.append(ExportPart(f"{prefix}related/{name}.json", items))
    return parts


def _lead_parts(lead: Lead, contents: ExportContents) -> list[ExportPart]:
    prefix = f"leads/{lead.pk}/"
    regarding = Q(lead=lead)
    activity_ids = list(Activity.objects.filter(regarding).values_list("pk", flat=True))
    emails = EmailMessage.objects.filter(regarding)
    receipts = InboundMessage.objects.filter(Q(lead=lead) | Q(email__in=emails))
    imports = ImportRow.objects.filter(lead=lead).select_related("batch")
    captures = CaptureSubmission.objects.filter(lead=lead).select_related(
        "capture_form"
    )
    return [
        ExportPart(f"{prefix}lead.json", [_record(lead)]),
        ExportPart(f"{prefix}history.json", _history(lead)),
        ExportPart(
            f"{prefix}transitions.json",
            _transitions(Lead, [lead.pk]) + _transitions(Activity, activity_ids),
        ),
        *_timeline(prefix, regarding, contents),
        ExportPart(
            f"{prefix}inbound.json", _rows(receipts.order_by("received_at", "pk"))
        ),
        ExportPart(
            f"{prefix}routing.json",
            _rows(
                LeadAssignment.objects.filter(lead=lead).order_by("created_at", "pk")
            ),
        ),
        ExportPart(
            f"{prefix}imports.json",
            _rows(
                imports.order_by("batch_id", "line"),
                file=lambda r: r.batch.original_name,
                imported_at=lambda r: r.batch.created_at,
            ),
        ),
        ExportPart(
            f"{prefix}capture.json",
            _rows(
                captures.order_by("created_at", "pk"),
                form=lambda r: r.capture_form.name,
            ),
        ),
        *_tied(prefix, lead, OWN_FILES),
    ]


def _contact_parts(contact: Contact, contents: ExportContents) -> list[ExportPart]:
    prefix = f"contacts/{contact.pk}/"
    regarding = Q(contact=contact)
    activity_ids = list(Activity.objects.filter(regarding).values_list("pk", flat=True))
    opportunities = Opportunity.objects.filter(contact=contact).order_by("pk")
    receipts = InboundMessage.objects.filter(
        email__in=EmailMessage.objects.filter(regarding)
    )
    return [
        ExportPart(f"{prefix}contact.json", [_record(contact)]),
        ExportPart(f"{prefix}history.json", _history(contact)),
        ExportPart(f"{prefix}transitions.json", _transitions(Activity, activity_ids)),
        *_timeline(prefix, regarding, contents),
        ExportPart(
            f"{prefix}inbound.json", _rows(receipts.order_by("received_at", "pk"))
        ),
        ExportPart(f"{prefix}opportunities.json", _rows(opportunities)),
        *_tied(prefix, contact, OWN_FILES),
    ]


def export_contents(subject: Subject) -> ExportContents:
    """Every file of the subject's access export, in order."""
    contents = ExportContents()
    for lead in subject.leads:
        contents.parts += _lead_parts(lead, contents)
    for contact in subject.contacts:
        contents.parts += _contact_parts(contact, contents)
    return contents
