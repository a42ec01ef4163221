"""The undo of a mass update (leads.services.mass_update): restore, lead by lead,
exactly the values the update replaced, through the services of one edit, while
the lead still has the version and values the update left; otherwise skip and
list it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Team, User
from leads.exceptions import TransitionRefused
from leads.models import (
    Lead,
    LeadStatus,
    MassUpdate,
    MassUpdateOutcome,
    MassUpdateRow,
    MassUpdateStatus,
    UndoOutcome,
)
from leads.services.lifecycle import (
    mark_contacted,
    reactivate_lead,
    update_and_assign_lead,
)
from leads.services.locks import holding
from leads.services.mass_update import (
    CHUNK_ROWS,
    GONE,
    OUT_OF_SCOPE,
    _editable,
    _in_language_of_by,
    _owned_by,
    _python_value,
    _related,
    _values,
)
from leadsite.core.deferred import deferring
from leadsite.core.events import batch, emit
from leadsite.core.services import service, through
from leadsite.core.transactions import one_savepoint


@service
@transaction.atomic
def undo_mass_update(*, mass_update: MassUpdate, by: User) -> MassUpdate:
    """Queue the undo of a finished mass update (the caller runs or queues
    process_mass_update_undo after commit). Refused before it has finished and
    once it is being undone or undone."""
    job = MassUpdate.objects.select_for_update().get(pk=mass_update.pk)
    if job.status in (MassUpdateStatus.UNDOING, MassUpdateStatus.UNDONE):
        raise TransitionRefused(gettext("This mass update was already undone."))
    if job.status != MassUpdateStatus.DONE:
        raise TransitionRefused(
            gettext("This mass update is still running; wait for it.")
        )
    job.status = MassUpdateStatus.UNDOING
    job.undone_by = by
    job.undo_total = job.updated_count
    job.heartbeat_at = None
    job.save(update_fields=["status", "undone_by", "undo_total", "heartbeat_at"])
    return job


def _restore_status(lead: Lead, status: int, *, by) -> Lead:
    """Take the lead back to status reason `status` through the transitions: a
    closed lead is reactivated (New), then marked contacted if it was."""
    if lead.status == status:
        return lead
    if not lead.is_editable:
        lead = reactivate_lead(lead=lead, by=by)
    if lead.status == status:
        return lead
    if status == LeadStatus.CONTACTED:
        return mark_contacted(lead=lead, by=by)
    raise TransitionRefused(
        gettext(
            "Its status reason cannot go back from “%(current)s” to “%(previous)s”; "
            "kept as it is."
        )
        % {
            "current": LeadStatus(lead.status).label,
            "previous": LeadStatus(status).label,
        }
    )


FIELD_OF_ATTNAME = {f.attname: f.name for f in Lead._meta.concrete_fields}


def _undo(row: MassUpdateRow, *, by, editable: dict, cache: dict) -> None:
    """Restore one lead's `before` values (locked, from `editable`), in a
    savepoint, and record the outcome."""
    row.undo_outcome = UndoOutcome.SKIPPED
    lead = editable.get(row.lead_id)
    if lead is None:
        row.undo_reason = OUT_OF_SCOPE if row.lead_id in editable else GONE
        return
    try:
        with one_savepoint():
            if lead.version != row.version_after or _values(lead, row.after) != (
                row.after
            ):
                raise TransitionRefused(
                    gettext(
                        "Changed after the mass update; kept as it is, not overwritten."
                    )
                )
            before = dict(row.before)
            if "status" in before:
                lead = _restore_status(lead, before.pop("status"), by=by)
            owner = {
                key: _related(model, before.pop(f"{key}_id", None), cache)
                for key, model in (("owner_user", User), ("owner_team", Team))
            }
            before.pop("business_unit_id", None)  # follows the owner
            fields = {
                FIELD_OF_ATTNAME[attname]: _python_value(
                    FIELD_OF_ATTNAME[attname], value, cache
                )
                for attname, value in before.items()
            }
            if not any(owner.values()) or _owned_by(lead, **owner):
                owner = {}
            if fields or owner:
                # The fields and the owner in one save (one history row).
                lead = update_and_assign_lead(lead=lead, by=by, **owner, **fields)
    except (ValidationError, LookupError) as error:
        row.undo_reason = " ".join(getattr(error, "messages", [str(error)]))
        return
    row.undo_outcome = UndoOutcome.RESTORED


@service
@through("mass_update")
@_in_language_of_by
def process_mass_update_undo(*, mass_update_id: int, by: User) -> MassUpdate | None:
    """The undo's work (task body, or the request's for a small job): restore the
    updated leads, CHUNK_ROWS a transaction with the job's row locked, each lead in
    a savepoint, skipping (and listing) a lead changed since the update or no
    longer editable by `by`; then mark the job undone. None when it is not being
    undone."""
    cache = {}
    while True:
        with transaction.atomic():
            job = MassUpdate.objects.select_for_update().get(pk=mass_update_id)
            if job.status != MassUpdateStatus.UNDOING:
                return None
            rows = list(
                job.rows.filter(
                    outcome=MassUpdateOutcome.UPDATED, undo_outcome=UndoOutcome.NONE
                ).order_by("id")[:CHUNK_ROWS]
            )
            editable = _editable(by, rows)
            with (
                holding(editable.values()),
                batch("mass_update", job.pk),
                deferring(),
            ):
                for row in rows:
                    _undo(row, by=by, editable=editable, cache=cache)
            MassUpdateRow.objects.bulk_update(rows, ["undo_outcome", "undo_reason"])
            restored = sum(r.undo_outcome == UndoOutcome.RESTORED for r in rows)
            job.undo_done += len(rows)
            job.restored_count += restored
            job.undo_skipped_count += len(rows) - restored
            job.heartbeat_at = timezone.now()
            if not rows:
                job.status = MassUpdateStatus.UNDONE
                job.undone_at = job.heartbeat_at
            job.save()
            if not rows:
                emit("mass_update.undone", job)
                return job
