"""The erasure's second half: rows that name the person's records by kind and id
(webhook events with their deliveries and attempts, notifications, the admin's
log, the transition log, the privacy log, duplicate scan groups), then the global
search: every text, JSON and binary column of every other table, for the person's
email address, phone number or full name. Inside the erasure's transaction."""

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django_fsm_log.models import StateLog

from accounts.models import Contact
from leads.models import Activity, DuplicateGroup, ImportRow, Lead
from privacy.models import AccessRequest
from privacy.scrub import ERASED, Needles
from privacy.selectors.places import (
    OBJECT_REFERENCES,
    history_model,
    label,
    sweep_fields,
    sweep_models,
)
from privacy.services.rows import Tally, mentioning, scrub_rows
from webhooks.models import Attempt, Delivery, Event

# The records an erasure chooses itself: the global search leaves them (and their
# history) alone, so another record that merely shares an address is erased only
# when the privacy officer chose it too.
CHOSEN = (Lead, Contact)


def _kinds(lead_ids, contact_ids) -> list[tuple[str, list[int]]]:
    return [
        (Lead._meta.label_lower, list(lead_ids)),
        (Contact._meta.label_lower, list(contact_ids)),
    ]


def _object_references(lead_ids, contact_ids, needles, tally) -> None:
    """Webhook events and notifications about the records, and the deliveries and
    attempts that sent those events."""
    for model_label, kind_field, id_field in OBJECT_REFERENCES:
        model = apps.get_model(model_label)
        match = Q(pk__in=[])
        for kind, ids in _kinds(lead_ids, contact_ids):
            if ids:
                match |= Q(**{kind_field: kind, f"{id_field}__in": ids})
        rows = model._base_manager.filter(match)
        tally.add(model, len(scrub_rows(rows, needles, about=True)))
        if model is Event:
            deliveries = Delivery.objects.filter(event__in=rows)
            tally.add(Delivery, len(scrub_rows(deliveries, needles, about=True)))
            attempts = Attempt.objects.filter(delivery__in=deliveries)
            tally.add(Attempt, len(scrub_rows(attempts, needles, about=True)))


def _logs(lead_ids, contact_ids, needles, tally) -> None:
    """The admin's log of the records, and the transition log of the leads and of
    the activities on the records."""
    for model, ids in ((Lead, lead_ids), (Contact, contact_ids)):
        if not ids:
            continue
        entries = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in ids],
        )
        tally.add(LogEntry, len(scrub_rows(entries, needles, about=True)))
    activity_ids = list(
        Activity.objects.filter(
            Q(lead_id__in=lead_ids) | Q(contact_id__in=contact_ids)
        ).values_list("pk", flat=True)
    )
    for model, ids in ((Lead, lead_ids), (Activity, activity_ids)):
        if not ids:
            continue
        transitions = StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=ids
        )
        tally.add(StateLog, len(scrub_rows(transitions, needles, about=True)))


def _overlaps(values, ids) -> bool:
    return bool(set(values or []) & set(ids))


def _access_requests(lead_ids, contact_ids, needles, tally) -> None:
    """Earlier exports for these records: whom they named is erased, their ids and
    counts stay."""
    changed = 0
    for request in AccessRequest.objects.only("pk", "lead_ids", "contact_ids"):
        if _overlaps(request.lead_ids, lead_ids) or _overlaps(
            request.contact_ids, contact_ids
        ):
            AccessRequest.objects.filter(pk=request.pk).update(person=ERASED, query="")
            changed += 1
    tally.add(AccessRequest, changed)


def _duplicate_groups(lead_ids, tally) -> None:
    """Scan groups that matched an erased lead with others by its old values: the
    lead leaves the group; a group left with one record goes."""
    if not lead_ids:
        return
    match = Q(pk__in=[])
    for pk in lead_ids:
        match |= Q(ids_text__regex=rf"(^|[^0-9]){pk}([^0-9]|$)")
    groups = DuplicateGroup.objects.annotate(
        ids_text=Cast("record_ids", TextField())
    ).filter(match)
    erased = set(lead_ids)
    changed = 0
    for group in groups:
        kept = [pk for pk in group.record_ids if pk not in erased]
        if len(kept) == len(group.record_ids):
            continue
        changed += 1
        if len(kept) < 2:
            DuplicateGroup.objects.filter(pk=group.pk).delete()
        else:
            removed = len(group.record_ids) - len(kept)
            DuplicateGroup.objects.filter(pk=group.pk).update(
                record_ids=kept, size=max(group.size - removed, len(kept))
            )
    tally.add(DuplicateGroup, changed)


def erase_references(*, lead_ids, contact_ids, needles: Needles, tally: Tally):
    """Every row naming the records by kind and id, scrubbed (see the module)."""
    _object_references(lead_ids, contact_ids, needles, tally)
    _logs(lead_ids, contact_ids, needles, tally)
    _access_requests(lead_ids, contact_ids, needles, tally)
    _duplicate_groups(lead_ids, tally)


def sweep_everywhere(*, needles: Needles, tally: Tally) -> dict[str, list]:
    """The global search: in every table but the chosen records' own (and their
    history), each row holding the person's email address, phone number or full
    name is scrubbed (privacy.scrub decides, per text and per JSON object, what is
    about them). Returns the changed primary keys per model label."""
    skipped = {label(m) for m in CHOSEN} | {label(history_model(m)) for m in CHOSEN}
    changed = {}
    for model in sweep_models():
        if label(model) in skipped:
            continue
        # The candidates are read by the swept columns; a row found is scrubbed in
        # every text column (its other columns may name the person too).
        candidates = mentioning(model, needles, sweep_fields(model))
        pks = scrub_rows(candidates, needles, about=False)
        if pks:
            tally.add(model, len(pks))
            changed[label(model)] = pks
    return changed


def import_rows_changed(changed: dict) -> list[int]:
    return changed.get(label(ImportRow), [])
