"""Lead scoring's writes: the frequency tables kept in step with every close and
reopen, a lead rescored in the save that changes what it is scored by, pins, the
administrator's settings and the full rebuild (the worker's task body).

The counts: count_closed(ids, +1) after leads close (qualify, disqualify, an import
of closed leads), count_closed(ids, -1) before they reopen or are deleted (reactivate,
import undo). Both read the leads' values with the same SQL as the rebuild
(leads.selectors.scoring), so the tables always equal a recount.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from leads.exceptions import LeadClosed
from leads.models import (
    ORGANISATION_SCOPE,
    Lead,
    LeadScore,
    LeadState,
    RebuildStatus,
    ScoreCount,
    ScoreRebuild,
    ScoringConfig,
)
from leads.scoring.factors import top_factors
from leads.scoring.model import Pin, score_lead
from leads.selectors.scoring import (
    FEATURES,
    PENDING,
    SCORED_LEAD_FIELDS,
    by_scope,
    forget_tables,
    grouped_counts,
    lead_pairs,
    scoring_config,
    scoring_tables,
)
from leads.services.locks import lock_lead
from leads.sql import write_scores
from leadsite.core.compiled import (
    SENTINEL_ID,
    SENTINEL_TIME,
    filled,
    prepared_time,
    slots_of,
)
from leadsite.core.deferred import defer
from leadsite.core.services import service
from leadsite.core.versioning import check_version

logger = logging.getLogger(__name__)

BATCH = 2000  # open leads rescored per statement by the rebuild
HISTORY_DAYS = 8  # nightly scores kept per lead: today and the seven days before
STALE = datetime.timedelta(minutes=10)  # a running rebuild silent this long died
_OR_CHUNK = 100  # keys per UPDATE (SQLite caps an expression's depth at 1000)


# --- The frequency tables ----------------------------------------------------------


def _add(deltas: dict[tuple[int, str, str], list[int]], sign: int) -> None:
    """Add sign × each (qualified, disqualified) delta to its table row, creating
    missing rows; a count never goes below 0."""
    if not deltas:
        return
    # Rows in one order everywhere: two closes meeting on the same rows wait for
    # each other rather than deadlock. Missing rows are inserted in key order, then
    # the rows are locked in key order before any UPDATE: an UPDATE takes its rows
    # in the order its scan meets them on disk, which two statements with different
    # snapshots may see differently (a CI run met "deadlock detected" there).
    keys = sorted(deltas)
    ScoreCount.objects.bulk_create(
        [ScoreCount(scope=s, field=f, value=v) for s, f, v in keys],
        ignore_conflicts=True,
        batch_size=500,
    )
    moving = [key for key in keys if any(deltas[key])]
    if connection.features.has_select_for_update:
        for start in range(0, len(moving), _OR_CHUNK):
            list(
                ScoreCount.objects.filter(_matching(moving[start : start + _OR_CHUNK]))
                .order_by("scope", "field", "value")
                .select_for_update()
                .values_list("pk", flat=True)
            )
    groups: dict[tuple[int, int], list[tuple[int, str, str]]] = {}
    for key, (q, d) in deltas.items():
        if q or d:
            groups.setdefault((sign * q, sign * d), []).append(key)
    for (dq, dd), group in groups.items():
        for start in range(0, len(group), _OR_CHUNK):
            ScoreCount.objects.filter(
                _matching(group[start : start + _OR_CHUNK])
            ).update(
                qualified=_moved("qualified", dq),
                disqualified=_moved("disqualified", dd),
            )
    forget_tables()


def _matching(keys) -> Q:
    match = Q()
    for scope, name, value in keys:
        match |= Q(scope=scope, field=name, value=value)
    return match


def _moved(name, delta):
    if delta >= 0:
        return F(name) + delta
    return Case(When(**{f"{name}__lt": -delta}, then=Value(0)), default=F(name) + delta)


def count_closed(ids, sign: int) -> None:
    """Move the tables by the closed leads among `ids` (+1 after they closed, -1
    before they reopen or go): one grouped read, then the upserts. Inside the
    caller's transaction."""
    ids = list(ids)
    if not ids:
        return
    _add(by_scope(grouped_counts(Lead.objects.filter(pk__in=ids))), sign)


# --- Scores ---------------------------------------------------------------------


def _scored(unit, pairs, tables, config):
    result = score_lead(
        pairs,
        tables[ORGANISATION_SCOPE],
        tables.get(unit),
        settings=config.model_settings,
    )
    factors = [
        [f.field, f.value, round(f.log_ratio, 4)]
        for f in top_factors(result.contributions)
    ]
    return result.model_score, result.scope, factors


# A save rescoring its lead reads that lead's pairs with the statement lead_pairs
# builds, compiled by the ORM once per process and reused with the lead's id and
# the time put in: building the sixteen feature expressions took about 6 ms a
# save, running the statement under half a millisecond (README "Performance",
# lead scoring). tests/test_scoring_one_lead.py checks it against lead_pairs.
_ONE_LEAD: dict = {}  # (database alias, vendor) -> (sql, params, id and time slots)


def _one_lead_statement():
    """(sql, params, id and time slots) of lead_pairs for one lead, compiled once,
    without running it: lead_pairs is handed a queryset whose iteration compiles
    its statement and keeps it."""
    key = (connection.alias, connection.vendor)
    if key not in _ONE_LEAD:
        compiled = []

        class CompileOnly(QuerySet):
            def __iter__(self):
                compiled.append(self.query.get_compiler(using=self.db).as_sql())
                return iter(())

        leads = CompileOnly(model=Lead).filter(pk=SENTINEL_ID)
        list(lead_pairs(leads, SENTINEL_TIME))
        [(sql, params)] = compiled
        sentinels = [SENTINEL_ID, prepared_time(SENTINEL_TIME, connection)]
        _ONE_LEAD[key] = (sql, list(params), slots_of(params, sentinels))
    return _ONE_LEAD[key]


def one_lead_pairs(pk, now):
    """lead_pairs(Lead.objects.filter(pk=pk), now), from the statement compiled
    once (see above)."""
    sql, template, slots = _one_lead_statement()
    params = filled(template, slots, [pk, prepared_time(now, connection)])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for found, unit, state, *values in rows:
        yield found, unit, scored_pairs(state, values)


def scored_pairs(state, values) -> list[tuple[str, str]]:
    """A lead's (field, value) pairs from its state and its FEATURES' values as
    read: an open lead's pending engagement left out (as lead_rows does)."""
    return [
        (name, value or "")
        for name, value in zip(FEATURES, values, strict=True)
        if not (
            name == "first_contact" and value == PENDING and state == LeadState.OPEN
        )
    ]


def score_leads(ids, *, now=None, with_history=False) -> int:
    """Rescore the leads `ids` (their stored score rows; a pinned score stays what
    is shown). Returns how many were written. With `with_history` (the nightly
    rebuild) each lead's score of the day joins its history."""
    ids = list(ids)
    if not ids:
        return 0
    now = now or timezone.now()
    histories = {}
    if with_history:
        histories = dict(
            LeadScore.objects.filter(lead_id__in=ids).values_list("lead_id", "history")
        )
    if len(ids) == 1:
        found = one_lead_pairs(ids[0], now)
    else:
        found = lead_pairs(Lead.objects.filter(pk__in=ids), now)
    return _store(found, now=now, histories=histories, with_history=with_history)


def _store(found, *, now, histories=None, with_history=False) -> int:
    """Score the (lead id, unit, pairs) of `found` and write them (one upsert)."""
    tables, config = scoring_tables(), scoring_config()
    day = timezone.localdate(now).isoformat()
    rows = []
    for pk, unit, pairs in found:
        model_score, scope, factors = _scored(unit, pairs, tables, config)
        history = None
        if with_history:
            history = [h for h in histories.get(pk) or [] if h[0] != day]
            history = [*history, [day, model_score]][-HISTORY_DAYS:]
        rows.append((pk, model_score, scope, factors, history))
    write_scores(rows, scored_at=now, with_history=with_history)
    return len(rows)


def rescore_lead(lead: Lead, changed=None, *, read=None) -> None:
    """Rescore `lead` in the save that changed it, when `changed` (the field names
    saved, None: any) touches what it is scored by. `read`: (pairs, time) when the
    caller read the lead's pairs with its row at that time (the routing service's
    lock, leads.services.routing) and changed none of them since: the score is
    then written by one statement, scored at that time, in the lead's unit now."""
    if changed is not None and not SCORED_LEAD_FIELDS.intersection(changed):
        return
    # In a mass update's chunk: the chunk's leads are rescored together at its end
    # (leadsite.core.deferred), from the values they then have.
    if not defer(_rescore_together, lead.pk):
        if read is None:
            score_leads([lead.pk])
        else:
            pairs, now = read
            _store([(lead.pk, lead.business_unit_id, pairs)], now=now)


def _rescore_together(pks) -> None:
    score_leads(dict.fromkeys(pks))


@service
@transaction.atomic
def pin_score(
    *, lead: Lead, by, score: int, reason: str, expected_version: int | None = None
) -> LeadScore:
    """Pin the lead's score by hand, with the reason (ValidationError beside the
    field when either is missing or wrong). The model keeps scoring beside it."""
    try:
        Pin(score, reason)
    except ValueError as error:
        missing_reason = str(error) == gettext("Say why the score is pinned.")
        field = "pin_reason" if missing_reason else "pinned_score"
        raise ValidationError({field: str(error)}) from error
    row = _locked_row(lead, expected_version)
    row.pinned_score = score
    row.pin_reason = reason.strip()[:300]
    row.pinned_by = by
    row.pinned_at = timezone.now()
    row.score = score
    row.save()
    return row


@service
@transaction.atomic
def unpin_score(*, lead: Lead, by, expected_version: int | None = None) -> LeadScore:
    """Back to the model's score."""
    row = _locked_row(lead, expected_version)
    row.pinned_score = None
    row.pin_reason = ""
    row.pinned_by = None
    row.pinned_at = None
    row.score = row.model_score
    row.save()
    return row


def _locked_row(lead, expected_version):
    """The lead's score row, locked with the lead. A pin is an edit of the lead: its
    version is checked and moves on (another's pin or edit meanwhile is a
    conflict), and a closed lead is refused (LeadClosed), as every edit."""
    locked = lock_lead(lead)
    if not locked.is_editable:
        raise LeadClosed(locked)
    check_version(locked, expected_version)
    locked.version += 1
    Lead.objects.filter(pk=locked.pk).update(version=locked.version)
    if not LeadScore.objects.filter(lead=locked).exists():
        score_leads([locked.pk])
    return LeadScore.objects.select_for_update().get(lead=locked)


@service
@transaction.atomic
def save_scoring_config(*, by, expected_version: int | None = None, **fields):
    """Change the administrator's settings (thresholds, minimum counts); a save over
    another's change raises EditConflict."""
    config = ScoringConfig.objects.select_for_update().filter(pk=1).first()
    if config is None:
        ScoringConfig.objects.create(pk=1)
        config = ScoringConfig.objects.select_for_update().get(pk=1)
    check_version(config, expected_version)
    for name, value in fields.items():
        setattr(config, name, value)
    config.full_clean()
    config.version += 1
    config.save()
    forget_tables()
    return config


# --- The rebuild -----------------------------------------------------------------


@service
def request_rebuild(*, by=None) -> tuple[ScoreRebuild, bool]:
    """(the rebuild queued or running, whether this call queued it): one at a time,
    a second request joins the first."""
    current = ScoreRebuild.objects.filter(status=RebuildStatus.QUEUED).first()
    if current is not None:
        return current, False
    return ScoreRebuild.objects.create(requested_by=by), True


def _recount() -> int:
    """Replace the tables by a recount of every closed lead, writers held off."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # A close committing meanwhile either is in the recount or waits
                # and adds itself after it: never both, never neither.
                cursor.execute("LOCK TABLE leads_scorecount IN EXCLUSIVE MODE")
                # JIT compiling the grouped count's seventeen aggregates costs
                # more than it saves: off, it ran in half the time at a million
                # leads (README "Performance", lead scoring). SET LOCAL: this
                # transaction only.
                cursor.execute("SELECT set_config('jit', 'off', true)")
        table = by_scope(grouped_counts(Lead.objects.all()))
        ScoreCount.objects.all().delete()
        ScoreCount.objects.bulk_create(
            [
                ScoreCount(scope=s, field=f, value=v, qualified=q, disqualified=d)
                for (s, f, v), (q, d) in table.items()
            ],
            batch_size=2000,
        )
        closed = table.get((ORGANISATION_SCOPE, "*", "*"), [0, 0])
    forget_tables()
    return closed[0] + closed[1]


@service
def rebuild_scores(*, rebuild_id: int) -> ScoreRebuild | None:
    """The rebuild's body: recount the tables, then rescore every open lead in
    batches of BATCH (keyset on id, flat memory), reporting progress. Returns
    None when the rebuild is not queued (another worker took it)."""
    now = timezone.now()
    # A rebuild whose worker died stops blocking the next one.
    ScoreRebuild.objects.filter(
        status=RebuildStatus.RUNNING, heartbeat_at__lt=now - STALE
    ).update(
        status=RebuildStatus.FAILED,
        error=gettext("The worker stopped."),
        finished_at=now,
    )
    try:
        with transaction.atomic():
            claimed = ScoreRebuild.objects.filter(
                pk=rebuild_id, status=RebuildStatus.QUEUED
            ).update(status=RebuildStatus.RUNNING, started_at=now, heartbeat_at=now)
    except IntegrityError:
        return None  # another rebuild is running: this one stays queued
    if not claimed:
        return None
    try:
        closed = _recount()
        open_leads = Lead.objects.filter(state=LeadState.OPEN)
        ScoreRebuild.objects.filter(pk=rebuild_id).update(
            closed_counted=closed, total=open_leads.count()
        )
        last, done = 0, 0
        while True:
            ids = list(
                open_leads.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                break
            with transaction.atomic():
                done += score_leads(ids, now=now, with_history=True)
            last = ids[-1]
            ScoreRebuild.objects.filter(pk=rebuild_id).update(
                done=done, heartbeat_at=timezone.now()
            )
    except Exception as error:
        logger.exception("Score rebuild %s failed", rebuild_id)
        ScoreRebuild.objects.filter(pk=rebuild_id).update(
            status=RebuildStatus.FAILED,
            error=str(error)[:2000],
            finished_at=timezone.now(),
        )
        raise
    ScoreRebuild.objects.filter(pk=rebuild_id).update(
        status=RebuildStatus.DONE, finished_at=timezone.now()
    )
    return ScoreRebuild.objects.get(pk=rebuild_id)
