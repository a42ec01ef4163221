"""Running an import: claim a queued batch and import its rows (the background
task's body).

Processing runs in chunks of CHUNK_ROWS rows, each chunk one transaction that writes
its leads, one ImportRow per row and the batch's counters together. A worker that
dies mid-chunk loses only that chunk's uncommitted work: the batch then shows what
was committed, and resuming starts after the last committed row, so no row is
imported twice.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history

from leads import imports as parsing
from leads.exceptions import TransitionRefused
from leads.models import (
    DuplicateAction,
    DuplicateMode,
    ImportBatch,
    ImportRow,
    ImportStatus,
    Lead,
    LeadState,
    LeadStatus,
    PossibleDuplicate,
    RowOutcome,
)
from leads.selectors import imports as reading
from leads.selectors.consent import purposes_by_code
from leads.selectors.duplicate_rules import check_many_duplicates, published_rules
from leads.services.capture import flag_possible_duplicates
from leads.services.consent import record_import_consents
from leads.services.lifecycle import update_lead
from leads.services.routing_bulk import route_batch
from leads.services.scoring import count_closed, score_leads
from leadsite.core.events import emit
from leadsite.core.services import service, through
from leadsite.core.validation import refusal_for


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class _TakenOver(Exception):
    """The batch is no longer this worker's: it stopped reporting long enough to be
    resumed (resume_stalled_imports) and another worker may have claimed it."""


def _hold(batch) -> None:
    """Lock the batch for the chunk's transaction; raise _TakenOver unless it is
    still running with the heartbeat this worker wrote last."""
    current = (
        ImportBatch.objects.select_for_update()
        .filter(pk=batch.pk)
        .values_list("status", "heartbeat_at")
        .first()
    )
    if current != (ImportStatus.RUNNING, batch.heartbeat_at):
        raise _TakenOver


def _claim(batch_id) -> bool:
    now = timezone.now()
    claimed = ImportBatch.objects.filter(
        pk=batch_id, status=ImportStatus.QUEUED
    ).update(status=ImportStatus.RUNNING, heartbeat_at=now)
    if claimed:
        ImportBatch.objects.filter(pk=batch_id, started_at=None).update(started_at=now)
    return bool(claimed)


def _prepare(row, batch, *, flagged_of=None):
    """The row's lead, ready to insert (saved with its chunk, see _save_new): owned
    by the user its owner column names (not routed then), else by the batch's
    owner (routed by the rules when the batch names none)."""
    owner = row.owner or batch.import_owner
    lead = row.lead
    lead.import_owner_named = row.owner is not None
    lead.owner_user = owner
    lead.owner_team = None
    lead.business_unit_id = owner.business_unit_id or batch.created_by.business_unit_id
    lead.created_by = batch.created_by
    if lead.status != LeadStatus.NEW:
        lead.closed_at = timezone.now()
        if lead.status == LeadStatus.QUALIFIED:
            lead.qualified_at = lead.closed_at
    lead.import_flagged_of = flagged_of
    message = (
        gettext("Possible duplicate of lead #%(id)s.") % {"id": flagged_of.pk}
        if flagged_of
        else ""
    )
    return RowOutcome.CREATED, lead, message, {}, {}


def _save_new(entries, batch):
    """Insert the chunk's new leads in one statement, then route and flag them.

    Their fields were validated by convert_row (full_clean without constraints);
    the check constraints are the database's own. Django's Python-side constraint
    validation (a query per constraint and row) and a round trip per row are what
    this saves (see README, Performance). Should the database refuse the bulk
    insert, each lead is inserted alone so only the offending rows fail."""
    pending = [e for e in entries if e[1] == RowOutcome.CREATED]
    leads = [e[2] for e in pending]
    if not leads:
        return
    try:
        with transaction.atomic():
            # One statement for the chunk, with its change history rows.
            bulk_create_with_history(
                leads,
                Lead,
                default_user=batch.created_by,
                default_change_reason="import",
            )
    except IntegrityError:
        for entry in pending:
            try:
                with transaction.atomic():
                    entry[2].pk = None
                    entry[2].save()
            except IntegrityError as error:
                reason = _error_message(refusal_for(error) or error)
                refused = gettext("Refused: %(reason)s") % {"reason": reason}
                entry[1:] = [RowOutcome.FAILED, None, refused, {}, {}]
    created = [e[2] for e in pending if e[1] == RowOutcome.CREATED]
    # Scored before routing, so a rule on the score or grade sees it (routing
    # rescores a lead it moves to another business unit).
    score_leads([lead.pk for lead in created if lead.state == LeadState.OPEN])
    created_entries = [e for e in pending if e[1] == RowOutcome.CREATED]
    for entry in created_entries:
        emit("lead.created", entry[2])
    _route_new(created_entries, batch)
    for entry in created_entries:
        lead = entry[2]
        flagged_of, check = lead.import_flagged_of, lead.duplicate_check
        if flagged_of is not None or check:
            flag_possible_duplicates(lead=lead, origin="import", check=check)
        if flagged_of is not None:
            if not PossibleDuplicate.objects.filter(
                lead=lead, matched_lead=flagged_of
            ).exists():
                PossibleDuplicate.objects.create(
                    lead=lead,
                    matched_lead=flagged_of,
                    reason=gettext("same lead ID"),
                    origin="import",
                )
    count_closed([lead.pk for lead in created if lead.state != LeadState.OPEN], +1)


def _route_new(entries, batch):
    """Route the chunk's new open leads by the rules, all together (see
    leads.services.routing_bulk), when the batch names no owner and their row
    named none; each entry then holds its fresh, routed lead (carrying what the
    import set on it for the duplicate flags)."""
    if batch.owner_user is not None:
        return
    wanted = [
        e
        for e in entries
        if not e[2].import_owner_named and e[2].state == LeadState.OPEN
    ]
    if not wanted:
        return
    routed = route_batch(
        leads=[e[2] for e in wanted], by=batch.created_by, trigger="import"
    )
    fresh = {entry.lead.pk: entry.lead for entry in routed.routed}
    for entry in wanted:
        lead = fresh[entry[2].pk]
        lead.import_flagged_of = entry[2].import_flagged_of
        lead.duplicate_check = entry[2].duplicate_check
        entry[2] = lead


def _update(row, batch, existing):
    # An existing lead keeps its status, and the values only a fill gave the row
    # (a topic made from the company name is no news about the lead).
    fields = {
        k: v for k, v in row.fields.items() if k != "status" and k not in row.filled
    }
    changed = {
        name: value
        for name, value in fields.items()
        if getattr(existing, name) != value
    }
    if not changed:
        return (
            RowOutcome.SKIPPED,
            existing,
            gettext("Lead #%(id)s already has these values.") % {"id": existing.pk},
            {},
            {},
        )
    previous = {}
    for name in changed:
        field = Lead._meta.get_field(name)
        previous[field.attname] = _jsonable(getattr(existing, field.attname))
    lead = update_lead(lead=existing, by=batch.created_by, **changed)
    applied = {
        Lead._meta.get_field(n).attname: _jsonable(
            getattr(lead, Lead._meta.get_field(n).attname)
        )
        for n in changed
    }
    names = ", ".join(sorted(changed))
    return (
        RowOutcome.UPDATED,
        lead,
        gettext("Updated lead #%(id)s: %(fields)s.") % {"id": lead.pk, "fields": names},
        previous,
        applied,
    )


def _process_row(row, batch, match):
    if row.errors:
        reasons = "; ".join(f"{column}: {reason}" for column, reason in row.errors)
        return RowOutcome.FAILED, None, reasons, {}, {}
    if match is not None:
        if batch.duplicate_mode == DuplicateMode.SKIP:
            message = gettext("Matches lead #%(id)s.") % {"id": match.pk}
            return RowOutcome.SKIPPED, match, message, {}, {}
        if batch.duplicate_mode == DuplicateMode.UPDATE:
            return _update(row, batch, match)
        return _prepare(row, batch, flagged_of=match)
    return _prepare(row, batch)


def _writes(row, batch, match) -> bool:
    """Whether processing `row` changes an existing lead (an update)."""
    return (
        not row.errors
        and match is not None
        and batch.duplicate_mode == DuplicateMode.UPDATE
    )


def _check_new(entries, batch):
    """The new leads of `entries` against the published duplicate rules (read once
    per business unit and chunk: `batch.duplicate_rules`, set by _process_chunk),
    all at once (check_many_duplicates): a block rule fails the row with the match
    named, a warning flags the lead once saved (_save_new). Called before each
    update of the chunk, so every lead is checked against what it was before."""
    rules = batch.duplicate_rules
    for entry in entries:
        unit = entry[2].business_unit_id
        if unit not in rules:
            rules[unit] = published_rules(business_unit_id=unit)
    checks = check_many_duplicates(
        [(e[2], rules[e[2].business_unit_id]) for e in entries]
    )
    for entry, check in zip(entries, checks, strict=True):
        if check.blocked:
            pk = check.matched_ids(DuplicateAction.BLOCK)[0]
            names = ", ".join(check.reasons[pk])
            message = gettext("Refused (%(rules)s): lead #%(id)s.") % {
                "rules": names,
                "id": pk,
            }
            entry[1:] = [RowOutcome.FAILED, None, message, {}, {}]
        else:
            entry[2].duplicate_check = check


def _record_consents(entries, batch):
    """The rows' consent columns on their leads (method import, see
    leads.services.consent.record_import_consents): new and updated leads, and a
    matched lead an update left as it was."""
    for row, outcome, lead, *_ in entries:
        if not row.consents or lead is None:
            continue
        kept = outcome in (RowOutcome.CREATED, RowOutcome.UPDATED)
        unchanged = (
            outcome == RowOutcome.SKIPPED
            and batch.duplicate_mode == DuplicateMode.UPDATE
        )
        if not (kept or unchanged):
            continue
        purposes = batch.consent_purposes
        consents = {
            purposes[code]: given
            for code, given in row.consents.items()
            if code in purposes
        }
        record_import_consents(lead=lead, consents=consents, batch=batch)


def _error_message(error) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{name}: {' '.join(msgs)}"
            for name, msgs in getattr(
                error, "message_dict", {"row": error.messages}
            ).items()
        )
    return str(error)


def _process_chunk(batch, chunk):
    """One chunk in one transaction: its leads, its ImportRows, the counters.
    Updates run row by row (update_lead, a savepoint each); new leads are checked
    for duplicates together (_check_new) and go in with one insert (_save_new)."""
    counts = {outcome: 0 for outcome in RowOutcome.values}
    entries = []
    with transaction.atomic():
        _hold(batch)
        matches = reading.find_matches(
            [r for r in chunk if not r.errors],
            user=batch.created_by,
            system=batch.source_system,
        )
        batch.duplicate_rules, unchecked = {}, []
        for row in chunk:
            match = matches.get(row.index)
            if _writes(row, batch, match):
                _check_new(unchecked, batch)
                unchecked = []
            try:
                result = _process_row(row, batch, match)
            except (ValidationError, TransitionRefused) as error:
                result = (RowOutcome.FAILED, None, _error_message(error), {}, {})
            entries.append([row, *result])
            if result[0] == RowOutcome.CREATED:
                unchecked.append(entries[-1])
        _check_new(unchecked, batch)
        _save_new(entries, batch)
        _record_consents(entries, batch)
        results = []
        for row, outcome, lead, message, previous, applied in entries:
            counts[outcome] += 1
            kept = outcome in (RowOutcome.CREATED, RowOutcome.UPDATED)
            results.append(
                ImportRow(
                    batch=batch,
                    line=row.line,
                    outcome=outcome,
                    lead=lead if kept else None,
                    message=message,
                    previous=previous,
                    applied=applied,
                    lead_modified_at=lead.modified_at if kept else None,
                )
            )
        ImportRow.objects.bulk_create(results)
        batch.rows_done += len(chunk)
        batch.created_count += counts[RowOutcome.CREATED]
        batch.updated_count += counts[RowOutcome.UPDATED]
        batch.skipped_count += counts[RowOutcome.SKIPPED]
        batch.failed_count += counts[RowOutcome.FAILED]
        batch.heartbeat_at = timezone.now()
        batch.save(
            update_fields=[
                "rows_done",
                "created_count",
                "updated_count",
                "skipped_count",
                "failed_count",
                "heartbeat_at",
            ]
        )


@service
@through("import")
def process_import(*, batch_id: int) -> ImportBatch | None:
    """The background task's body: claim a queued batch, import its rows from the
    last committed one on, chunk by chunk, then mark it finished. Returns None when
    the batch was not queued (already taken by another worker, or undone)."""
    if not _claim(batch_id):
        return None
    batch = ImportBatch.objects.select_related("created_by", "owner_user").get(
        pk=batch_id
    )
    # Routed rows are held by the importer (their unit's rules apply) until routing
    # decides; one no rule routes goes to its fallback owner (leads.routing.fallback).
    batch.import_owner = batch.owner_user or batch.created_by
    batch.consent_purposes = purposes_by_code()  # consent columns (consent:<code>)
    last = batch.rows.order_by("-line").values_list("line", flat=True).first()
    start = last - 1 if last else 0  # data row index after the last committed row
    # The rows' messages in the importing user's language.
    try:
        with (
            translation.override(
                batch.created_by.language or translation.get_language()
            ),
            batch.file.open("rb") as handle,
        ):
            for chunk in parsing.converted_chunks(handle, batch, start=start):
                _process_chunk(batch, chunk)
    except _TakenOver:
        return None
    with transaction.atomic():  # the finished batch and its event together
        try:
            _hold(batch)
        except _TakenOver:
            return None
        batch.status = ImportStatus.DONE
        batch.finished_at = timezone.now()
        batch.rows_done = batch.rows.count()
        batch.save(update_fields=["status", "finished_at", "rows_done"])
        emit("import.finished", batch)
    return batch
