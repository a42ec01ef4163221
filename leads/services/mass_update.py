"""Mass updates: the same changes applied to many leads through the services of one
edit (update_and_assign_lead: update_lead and assign_lead in one save; the state
machine's transitions), and undone.

Each selected lead carries the version the user saw; a lead changed since is
skipped and listed, never overwritten, as is one the user may no longer edit, a
closed one, and one whose status reason the state machine refuses. The work runs
CHUNK_ROWS leads a transaction, each lead in a savepoint of its own, committed with
its rows' results and the job's counters: a worker that dies loses one chunk, and
the next run goes on with the rows still waiting. The undo restores, lead by lead,
exactly the values the update replaced, while the lead still has the version and
values the update left; otherwise it skips and lists it
(leads.services.mass_update_undo).
"""

import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from leads.exceptions import LeadClosed, TransitionRefused
from leads.models import (
    DISQUALIFY_REASONS,
    Lead,
    LeadStatus,
    MassUpdate,
    MassUpdateOutcome,
    MassUpdateRow,
    MassUpdateStatus,
)
from leads.models.mass_update import (
    MASS_UPDATE_FIELDS,
    MASS_UPDATE_STATUSES,
    OWNER_KEYS,
)
from leads.selectors.leads import list_leads
from leads.services.lifecycle import (
    disqualify_lead,
    mark_contacted,
    update_and_assign_lead,
)
from leads.services.locks import holding, lock_leads
from leadsite.core.deferred import deferring
from leadsite.core.events import batch, emit
from leadsite.core.services import service, through
from leadsite.core.transactions import one_savepoint
from leadsite.core.versioning import changed_fields

CHUNK_ROWS = 100  # leads per transaction (each in its own savepoint)
INSERT_ROWS = 1000  # selection rows written per statement
DEFAULT_MAX_ROWS = 10_000
STALE = _("Changed by someone else after you selected it; not overwritten.")
OUT_OF_SCOPE = _("No longer among the leads you may edit.")
GONE = _("This lead no longer exists.")


def max_rows() -> int:
    """The most leads one mass update may change (settings
    LEADSITE_MASS_UPDATE_MAX_ROWS, default DEFAULT_MAX_ROWS)."""
    return getattr(settings, "LEADSITE_MASS_UPDATE_MAX_ROWS", DEFAULT_MAX_ROWS)


def _jsonable(value):
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@dataclass
class Plan:
    """A job's changes as the services take them."""

    fields: dict = field(default_factory=dict)  # lead field name → value
    owner: dict | None = None  # {"owner_user": User} or {"owner_team": Team}
    status: int | None = None
    refusal: str = ""  # why no lead can be changed (a chosen record is gone)

    def attnames(self) -> list[str]:
        names = [Lead._meta.get_field(name).attname for name in self.fields]
        if self.owner:
            names += ["owner_user_id", "owner_team_id", "business_unit_id"]
        if self.status is not None:
            names.append("status")
        return names


def _related(model, pk, cache):
    if pk is None:
        return None
    key = (model, pk)
    if key not in cache:
        rows = model._base_manager.filter(pk=pk)
        if model in (User, Team):
            # The owner's unit goes with it onto each lead (assign_lead).
            rows = rows.select_related("business_unit")
        cache[key] = rows.first()
    return cache[key]


def _python_value(name, value, cache):
    """A stored (JSON) value of lead field `name` as the services take it;
    raises LookupError when a related record no longer exists."""
    model_field = Lead._meta.get_field(name)
    if model_field.many_to_one:
        record = _related(model_field.related_model, value, cache)
        if value is not None and record is None:
            raise LookupError(
                gettext("The %(field)s chosen no longer exists.")
                % {"field": model_field.verbose_name}
            )
        return record
    return None if value is None else model_field.to_python(value)


def _plan(changes: dict) -> Plan:
    plan, cache = Plan(), {}
    try:
        for name, value in changes.items():
            if name in OWNER_KEYS:
                model = User if name == "owner_user" else Team
                record = _related(model, value, cache)
                if record is None:
                    raise LookupError(gettext("The owner chosen no longer exists."))
                plan.owner = {name: record}
            elif name == "status":
                plan.status = int(value)
            else:
                plan.fields[name] = _python_value(name, value, cache)
    except LookupError as error:
        plan.refusal = str(error)
    return plan


def _check_changes(changes: dict) -> None:
    unknown = set(changes) - {*MASS_UPDATE_FIELDS, *OWNER_KEYS, "status"}
    if unknown:
        raise ValueError("Not a field for a mass update: " + ", ".join(sorted(unknown)))
    if not changes:
        raise ValidationError(gettext("Choose at least one field to change."))
    if all(key in changes for key in OWNER_KEYS):
        raise ValidationError(
            gettext("Choose a user or a team as the owner, not both.")
        )
    if "status" in changes and changes["status"] not in MASS_UPDATE_STATUSES:
        raise ValidationError(
            {"status": gettext("Choose a status reason from the list.")}
        )


@service
@transaction.atomic
def create_mass_update(
    *, by: User, changes: dict, selection, query: str = ""
) -> MassUpdate:
    """Record a mass update of the leads `selection` gives ((pk, version) pairs, in
    any order, each once: the leads the user selected with the versions their page
    showed, or a filter's leads as read now), waiting to run (queued).

    `changes` maps lead fields (MASS_UPDATE_FIELDS), the owner (owner_user or
    owner_team) and the status reason (MASS_UPDATE_STATUSES) to their new values.
    Refuses (ValidationError) no change, no lead, and more leads than max_rows().
    The caller has scoped the selection (the form checks the ids, the filter is
    the user's) and runs or queues the job after commit; each row is checked again
    when it runs. The selection's rows are written INSERT_ROWS a statement."""
    _check_changes(changes)
    limit = max_rows()
    job = MassUpdate.objects.create(
        created_by=by,
        changes={name: _jsonable(value) for name, value in changes.items()},
        query=query,
    )
    total, chunk = 0, []
    for pk, version in selection:
        total += 1
        if total > limit:
            raise ValidationError(
                gettext("A mass update changes at most %(limit)s leads; choose fewer.")
                % {"limit": number_format(limit, force_grouping=True)}
            )
        chunk.append(MassUpdateRow(mass_update=job, lead_id=pk, seen_version=version))
        if len(chunk) == INSERT_ROWS:
            MassUpdateRow.objects.bulk_create(chunk)
            chunk = []
    MassUpdateRow.objects.bulk_create(chunk)
    if not total:
        raise ValidationError(gettext("Select at least one lead."))
    job.total = total
    job.save(update_fields=["total"])
    return job


def _values(lead: Lead, attnames) -> dict:
    return {name: _jsonable(getattr(lead, name)) for name in attnames}


def _owned_by(lead: Lead, *, owner_user=None, owner_team=None) -> bool:
    return lead.owner_user_id == getattr(owner_user, "pk", None) and (
        lead.owner_team_id == getattr(owner_team, "pk", None)
    )


def _set_status(lead: Lead, status: int, *, by) -> Lead:
    """Move an open lead to `status` through its transition (TransitionRefused with
    the state machine's reason when it may not)."""
    if status == LeadStatus.CONTACTED:
        return mark_contacted(lead=lead, by=by)
    if status in DISQUALIFY_REASONS:
        return disqualify_lead(lead=lead, by=by, reason=status)
    raise TransitionRefused(
        gettext("“%(status)s” is not a status reason for a mass update.")
        % {"status": LeadStatus(status).label}
    )


def _apply(row: MassUpdateRow, plan: Plan, *, by, editable: dict) -> None:
    """Change one lead (locked, from `editable`), in a savepoint, and record on
    `row` what became of it."""
    row.outcome = MassUpdateOutcome.SKIPPED
    if plan.refusal:
        row.reason = plan.refusal
        return
    lead = editable.get(row.lead_id)
    if lead is None:
        row.reason = OUT_OF_SCOPE if row.lead_id in editable else GONE
        return
    try:
        with one_savepoint():
            row.lead_label = str(lead)[:300]
            if not lead.is_editable:
                raise LeadClosed(lead)
            if lead.version != row.seen_version:
                raise TransitionRefused(STALE)
            before = _values(lead, plan.attnames())
            fields = changed_fields(lead, plan.fields)
            owner = {}
            if plan.owner and not _owned_by(lead, **plan.owner):
                owner = plan.owner
            if fields or owner:
                # The fields and the owner in one save (one history row).
                lead = update_and_assign_lead(
                    lead=lead,
                    by=by,
                    expected_version=row.seen_version,
                    **owner,
                    **fields,
                )
            if plan.status is not None and lead.status != plan.status:
                lead = _set_status(lead, plan.status, by=by)
    except ValidationError as error:
        row.reason = " ".join(error.messages)
        return
    after = _values(lead, plan.attnames())
    changed = {name for name in after if after[name] != before[name]}
    if not changed:
        row.outcome = MassUpdateOutcome.UNCHANGED
        return
    row.outcome = MassUpdateOutcome.UPDATED
    row.before = {name: before[name] for name in changed}
    row.after = {name: after[name] for name in changed}
    row.version_after = lead.version


ROW_RESULT = ["outcome", "reason", "before", "after", "version_after", "lead_label"]


def _editable(by, rows) -> dict:
    """The rows' leads, locked in pk order (leads.services.locks): lead id → the
    lead when `by` may edit it now (in scope, allowed to change leads), else None;
    a lead that no longer exists is left out."""
    ids = [row.lead_id for row in rows if row.lead_id is not None]
    leads = lock_leads(Lead.objects.all(), ids)
    allowed = set()
    if by.is_active and by.has_perm("leads.change_lead"):
        allowed = set(
            list_leads(user=by).filter(pk__in=ids).values_list("pk", flat=True)
        )
    return {pk: lead if pk in allowed else None for pk, lead in leads.items()}


def _recount(job: MassUpdate) -> None:
    counts = dict(job.rows.values_list("outcome").annotate(n=Count("id")).order_by())
    job.updated_count = counts.get(MassUpdateOutcome.UPDATED, 0)
    job.unchanged_count = counts.get(MassUpdateOutcome.UNCHANGED, 0)
    job.skipped_count = counts.get(MassUpdateOutcome.SKIPPED, 0)
    job.rows_done = job.total - counts.get(MassUpdateOutcome.PENDING, 0)


def _in_language_of_by(body):
    """Run a worker's body in the language of the user it acts for (`by`), so the
    rows' reasons read in their language; the active one when they chose none."""

    @functools.wraps(body)
    def run(*, by, **kwargs):
        language = getattr(by, "language", "") or translation.get_language()
        with translation.override(language):
            return body(by=by, **kwargs)

    return run


@service
@through("mass_update")
@_in_language_of_by
def process_mass_update(*, mass_update_id: int, by: User) -> MassUpdate | None:
    """The job's work (the background task's body, or the request's for a small
    job), on behalf of its creator `by`: apply its changes to its waiting rows, CHUNK_ROWS a transaction with the
    job's row locked (two workers take turns), in lead order, then mark it
    finished. Returns None when the job is not queued or running."""
    plan = None
    while True:
        with transaction.atomic():
            job = MassUpdate.objects.select_for_update().get(pk=mass_update_id)
            if job.status not in (MassUpdateStatus.QUEUED, MassUpdateStatus.RUNNING):
                return None
            now = timezone.now()
            if job.status == MassUpdateStatus.QUEUED:
                job.status = MassUpdateStatus.RUNNING
                job.started_at = job.started_at or now
            if plan is None:
                plan = _plan(job.changes)
            rows = list(
                job.rows.filter(outcome=MassUpdateOutcome.PENDING).order_by("id")[
                    :CHUNK_ROWS
                ]
            )
            editable = _editable(by, rows)
            with (
                holding(editable.values()),
                batch("mass_update", job.pk),
                deferring(),
            ):
                for row in rows:
                    _apply(row, plan, by=by, editable=editable)
            MassUpdateRow.objects.bulk_update(rows, ROW_RESULT)
            _recount(job)
            job.heartbeat_at = now
            if not rows:
                job.status = MassUpdateStatus.DONE
                job.finished_at = now
            job.save()
            if not rows:
                emit("mass_update.finished", job)
                return job
