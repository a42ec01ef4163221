"""The leads app's hand-written SQL: only statements measured to matter on a hot
read (README, "Performance", "Hand-written SQL"). Each has a test that it returns
what the ORM version returns, on seeded data or routing rules made for it
(tests/test_sql.py). Everything else is ORM, and
every code comes from the enums.

- presence_flags: the lead page's "has any rows" flags, EXISTS in the lead's query;
  latest_routing_detail: its latest routing decision in words, a sub-select there.
- Routing, on every routed lead: leads.sql_routing (re-exported here).
- The source report's summary, recomputed from the marked days: the day and
  histogram rows inserted from the lead facts (INSERT ... SELECT), the month and
  year roll-ups moved by the difference (an upsert that adds). The ORM has
  neither, and the same rows through Python were much slower.
- Lead scores (write_scores): the rebuild's and a save's upsert, which keeps a
  pinned score shown and never writes an older score over a newer one; on
  PostgreSQL its rows go in as arrays (unnest).
- The duplicate scan's similar rule (similar_value_pairs): the similar pairs among
  the distinct values of a field, one self-join on a temporary trigram index.
"""

import json
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django_fsm_log.models import StateLog

from accounts.models import OpportunityState
from leads.models import (
    Lead,
    LeadAssignment,
    LeadScore,
    LeadState,
    LeadStatus,
    SourceReportDay,
    SourceReportHistogram,
    SourceReportStage,
)
from leads.models.reports import ALL_OWNERS
from leads.sql_routing import (  # noqa: F401 (re-exported)
    CANDIDATE_FIELDS,
    active_rules_and_units,
    business_unit_rows,
    candidate_users,
    team_rule_rows,
)

# --- The lead page ----------------------------------------------------------------


def presence_flags(presence, *, content_type_id=None) -> dict[str, RawSQL]:
    """{flag: EXISTS (a row of model whose field is the lead)} for the
    (flag, model, field) entries of `presence`, as annotations of a Lead query:
    one index probe each. The outer lead is the query's base table, which Django
    never aliases. `content_type_id`: the lead's content type for the history's
    flag (looked up when not given)."""
    qn = connection.ops.quote_name
    outer = f"{qn(Lead._meta.db_table)}.{qn(Lead._meta.pk.column)}"
    flags = {}
    for name, model, field in presence:
        column = model._meta.get_field(field).column
        # Kept as SQL: README "Performance", "Hand-written SQL" (presence_flags:
        # the same flags as ORM Exists() made the lead page slower).
        sql = (
            f"SELECT 1 FROM {qn(model._meta.db_table)} x "  # noqa: S608
            f"WHERE x.{qn(column)} = {outer}"
        )
        params = []
        if model is StateLog:
            sql += " AND x.content_type_id = %s"
            params.append(content_type_id or ContentType.objects.get_for_model(Lead).pk)
        flags[name] = RawSQL(f"EXISTS ({sql})", params, output_field=BooleanField())
    return flags


def latest_routing_detail() -> RawSQL:
    """The lead's latest routing decision in words (LeadAssignment.detail; NULL
    when it was never routed or assigned), as an annotation of a Lead query: the
    lead page's Routing card says why the lead is where it is without reading the
    log, which loads when its disclosure opens."""
    qn = connection.ops.quote_name
    table = qn(LeadAssignment._meta.db_table)
    lead = f"{qn(Lead._meta.db_table)}.{qn(Lead._meta.pk.column)}"
    return RawSQL(
        f"SELECT x.detail FROM {table} x WHERE x.lead_id = {lead} "  # noqa: S608
        "ORDER BY x.id DESC LIMIT 1",
        [],
    )


# --- Routing ----------------------------------------------------------------------
# In leads.sql_routing (re-exported here for callers that knew them here).

# --- The source report's summary ----------------------------------------------------
# The facts come from the ORM (leads.reports.facts.lead_facts); the statements below
# sum them into the summary rows.

DAY_TABLE = SourceReportDay._meta.db_table
HISTOGRAM_TABLE = SourceReportHistogram._meta.db_table
STAGE_TABLE = SourceReportStage._meta.db_table
DAY, MONTH, YEAR = SourceReportDay.DAY, SourceReportDay.MONTH, SourceReportDay.YEAR
UNIT_DAY, UNIT_MONTH, UNIT_YEAR = (
    SourceReportDay.UNIT_DAY,
    SourceReportDay.UNIT_MONTH,
    SourceReportDay.UNIT_YEAR,
)
KEYS = "source, campaign_id, business_unit_id, owner_user_id, owner_team_id"
# The facts' key columns, in the order of KEYS; NULL is stored as 0 (the unique
# constraints then match "none" on both backends).
FACT_KEYS = ", ".join(
    f"COALESCE({column}, 0)"
    for column in ["r_source", "r_campaign", "r_unit", "r_user", "r_team"]
)


def _count(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _total(column: str, condition: str) -> str:
    return f"COALESCE(SUM(CASE WHEN {condition} THEN {column} END), 0)"


def _summed():
    """(SourceReportDay column, its SQL over the facts), in the model's order: the
    same figures as leads.reports.facts.figures() (tests/test_sql.py)."""
    state = {code: f"r_state = {int(code)}" for code in LeadState}
    status = {code: f"r_status = {int(code)}" for code in LeadStatus}
    opportunity = {code: f"r_opp_state = {int(code)}" for code in OpportunityState}
    return [
        ("created", "COUNT(*)"),
        ("open", _count(state[LeadState.OPEN])),
        ("qualified", _count(state[LeadState.QUALIFIED])),
        ("lost", _count(status[LeadStatus.LOST])),
        ("cannot_contact", _count(status[LeadStatus.CANNOT_CONTACT])),
        ("no_longer_interested", _count(status[LeadStatus.NO_LONGER_INTERESTED])),
        ("canceled", _count(f"{status[LeadStatus.CANCELED]} AND r_merged = FALSE")),
        ("merged", _count("r_merged = TRUE")),
        ("won_leads", _count(opportunity[OpportunityState.WON])),
        ("opportunities_lost", _count(opportunity[OpportunityState.LOST])),
        ("opportunities_open", _count(opportunity[OpportunityState.OPEN])),
        ("won_revenue", _total("r_opp_actual", opportunity[OpportunityState.WON])),
        ("pipeline", _total("r_opp_estimated", opportunity[OpportunityState.OPEN])),
        ("worked", _count("r_work_hours IS NOT NULL")),
        ("worked_within_24h", _count("r_work_hours < 24")),
    ]


SUMMED = _summed()
COLUMNS = ", ".join(name for name, _ in SUMMED)
SUMMARY_LOCK = 742_010  # the advisory lock that keeps two refreshes apart


def lock_summary(*, wait: bool = True) -> bool:
    """PostgreSQL: wait for any other refresh to end (an advisory lock held until
    the transaction ends); JIT off for it, as compiling a day's recomputation
    costs more than running it. wait=False (a report read): False at once when
    another refresh holds the lock. Elsewhere True (SQLite has one writer)."""
    if connection.vendor != "postgresql":
        return True
    locking = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    with connection.cursor() as cursor:
        # set_config(..., true) is SET LOCAL: until the transaction ends.
        cursor.execute(
            f"SELECT {locking}(%s), set_config('jit', 'off', true)",
            [SUMMARY_LOCK],
        )
        locked = cursor.fetchone()[0]
    # pg_advisory_xact_lock returns void (None) once it holds the lock.
    return locked is not False


def analyze_summary() -> None:
    """PostgreSQL: fresh planner statistics for the summary tables."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {DAY_TABLE}, {HISTOGRAM_TABLE}, {STAGE_TABLE}")


def insert_summary_days(facts, *, histograms) -> None:
    """Insert the day rows of the lead facts `facts` (a leads.reports.facts.lead_facts
    query; one row per local day and key), and the day rows of the `histograms`
    ((metric, facts column) pairs; one row per local day, key and value)."""
    facts_sql, params = facts.query.sql_with_params()
    summed = ", ".join(sql for _, sql in SUMMED)
    # Kept as SQL (both statements): README "Performance", "Hand-written SQL"
    # (the summary's refresh, measured against the same rows through the ORM).
    histogram_rows = " UNION ALL ".join(
        f"SELECT r_day, {DAY}, {FACT_KEYS}, {metric}, {column}, COUNT(*) "  # noqa: S608
        f"FROM ({facts_sql}) facts WHERE {column} IS NOT NULL "
        f"GROUP BY r_day, {FACT_KEYS}, {column}"
        for metric, column in histograms
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {DAY_TABLE} (period, level, {KEYS}, {COLUMNS}) "  # noqa: S608
            f"SELECT r_day, {DAY}, {FACT_KEYS}, {summed} "
            f"FROM ({facts_sql}) facts GROUP BY r_day, {FACT_KEYS}",
            params,
        )
        cursor.execute(
            f"INSERT INTO {HISTOGRAM_TABLE} "
            f"(period, level, {KEYS}, metric, bucket, count) {histogram_rows}",
            params * len(histograms),
        )


def move_summary_roll_ups(runs, *, sign: str) -> None:
    """Add (sign "") or take out (sign "-") the day rows of the days `runs`
    ((first, last) pairs; None: every day) to or from their roll-up rows (month
    and year per owner; day, month and year per business unit), creating the
    roll-up rows that are missing."""
    where, params = f"level = {DAY}", []
    if runs is not None:
        periods = " OR ".join(["period BETWEEN %s AND %s"] * len(runs))
        where += f" AND ({periods})"
        params = [day for run in runs for day in run]
    for table, extra, targets in [
        (DAY_TABLE, "", [name for name, _ in SUMMED]),
        (HISTOGRAM_TABLE, ", metric, bucket", ["count"]),
    ]:
        values = ", ".join(f"{sign}SUM({name})" for name in targets)
        update = ", ".join(
            f"{name} = {table}.{name} + excluded.{name}" for name in targets
        )
        selects = [
            f"SELECT {rolled}, {level}, {keys}{extra}, {values} FROM {table} "  # noqa: S608
            f"WHERE {where} GROUP BY {rolled}, {keys.replace(UNIT_OWNERS, '')}{extra}"
            for level, rolled, keys in _roll_ups()
        ]
        with connection.cursor() as cursor:
            # Kept as SQL: README "Performance", "Hand-written SQL" (the
            # summary's refresh; the ORM has no upsert that adds). Every level in
            # one statement: no two of its rows share a key (the level differs).
            cursor.execute(
                f"INSERT INTO {table} "  # noqa: S608
                f"(period, level, {KEYS}{extra}, {', '.join(targets)}) "
                f"SELECT * FROM ({' UNION ALL '.join(selects)}) rolled WHERE TRUE "
                f"ON CONFLICT (level, period, {KEYS}{extra}) DO UPDATE SET {update}",
                params * len(selects),
            )


UNIT_OWNERS = f", {ALL_OWNERS}, {ALL_OWNERS}"  # a unit roll-up's owner columns


def _roll_ups():
    """(level, its period from a day row's, the key columns it keeps) of each
    roll-up of the day rows: the unit levels put ALL_OWNERS in the owner columns."""
    month, year = _month_of("period"), _year_of("period")
    unit_keys = f"source, campaign_id, business_unit_id{UNIT_OWNERS}"
    return [
        (MONTH, month, KEYS),
        (YEAR, year, KEYS),
        (UNIT_DAY, "period", unit_keys),
        (UNIT_MONTH, month, unit_keys),
        (UNIT_YEAR, year, unit_keys),
    ]


def _month_of(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _year_of(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('year', {column}) AS date)"
    return f"date({column}, 'start of year')"


# --- Lead scores --------------------------------------------------------------------
# The rebuild rescoring every open lead (BATCH rows a statement) and a save rescoring
# its lead: an upsert whose update keeps a pinned score shown and never overwrites a
# newer score with an older one (a rebuild's batch read before a save rescored the
# lead). The ORM's bulk_create(update_conflicts=True) has neither the COALESCE
# nor the WHERE.

SCORES_TABLE = LeadScore._meta.db_table


def write_scores(rows, *, scored_at, with_history: bool) -> None:
    """Store (lead id, model score, scope, factors, history) rows scored at
    `scored_at`; history is written only `with_history` (the nightly rebuild).

    PostgreSQL takes the rows as six arrays (unnest): a statement of a few
    parameters, where a VALUES list of BATCH rows has seven per row, which the
    driver splits and the server parses and plans each time (the rebuild's
    upserts took twice as long so; README "Performance", lead scoring)."""
    if not rows:
        return
    columns = (
        "lead_id, model_score, score, scope, factors, history, scored_at, pin_reason"
    )
    if connection.vendor == "postgresql":
        source, params = _unnested_scores(rows, scored_at)
    else:
        source, params = _listed_scores(rows, scored_at)
    updates = [
        "model_score = excluded.model_score",
        f"score = COALESCE({SCORES_TABLE}.pinned_score, excluded.model_score)",
        "scope = excluded.scope",
        "factors = excluded.factors",
        "scored_at = excluded.scored_at",
    ]
    if with_history:
        updates.append("history = excluded.history")
    sql = (
        f"INSERT INTO {SCORES_TABLE} ({columns}) {source}"  # noqa: S608
        f" ON CONFLICT (lead_id) DO UPDATE SET {', '.join(updates)}"
        f" WHERE {SCORES_TABLE}.scored_at <= excluded.scored_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _listed_scores(rows, scored_at):
    """VALUES (...), (...) and its parameters, seven a row."""
    json_field = LeadScore._meta.get_field("factors")
    values, params = [], []
    for pk, model_score, scope, factors, history in rows:
        values.append("(%s, %s, %s, %s, %s, %s, %s, '')")
        params += [
            pk,
            model_score,
            model_score,
            scope,
            json_field.get_db_prep_save(factors, connection),
            json_field.get_db_prep_save(history or [], connection),
            scored_at,
        ]
    return f"VALUES {', '.join(values)}", params


def _unnested_scores(rows, scored_at):
    """SELECT ... FROM unnest(arrays) and its six parameters (PostgreSQL); the
    JSON as the JSONField writes it (json.dumps, no encoder)."""
    ids, scores, scopes, factors, histories = zip(*rows, strict=True)
    source = (
        "SELECT t.lead_id, t.model_score, t.model_score, t.scope, t.factors::jsonb,"
        " t.history::jsonb, %s, '' FROM unnest(%s::bigint[], %s::smallint[],"
        " %s::text[], %s::text[], %s::text[])"
        " AS t(lead_id, model_score, scope, factors, history)"
    )
    return source, [
        scored_at,
        list(ids),
        list(scores),
        list(scopes),
        [json.dumps(item) for item in factors],
        [json.dumps(item or []) for item in histories],
    ]


# --- The duplicate scan -------------------------------------------------------------

SIMILAR_VALUES_TABLE = "leadsite_similar_values"
SIMILAR_VALUES_PER_INSERT = 10_000


def _set_trigram_threshold(cursor, threshold: float) -> None:
    # `%` is "similarity above the threshold": a hair below it keeps the values
    # exactly at it, which the similarity() condition then decides.
    cursor.execute(
        "SELECT set_config('pg_trgm.similarity_threshold', %s, true)",
        [str(max(threshold - 1e-6, 0.0))],
    )


@contextmanager
def trigram_threshold(threshold: float | None):
    """The block's `%` (trigram similar) at `threshold` (PostgreSQL, SET LOCAL in
    a transaction, as it was after the block): the trigram index then leaves out
    what is less similar, where at pg_trgm's default of 0.3 it gave every lead
    sharing a word with the value for similarity() to refuse ("company similar (≥ 0.7)" to an
    unknown company: 357 ms against 0.8 at ten million leads). None: no change."""
    if threshold is None or connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('pg_trgm.similarity_threshold', true)"
            )
            before = cursor.fetchone()[0] or "0.3"  # pg_trgm's default
            _set_trigram_threshold(cursor, threshold)
        yield
        with connection.cursor() as cursor:  # as before, also inside a transaction
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [before]
            )


def similar_value_pairs(values, threshold: float) -> list[tuple[str, str]]:
    """PostgreSQL with pg_trgm: the pairs (a, b), a < b, of the distinct `values`
    whose trigram similarity is at least `threshold` (the duplicate scan's similar
    rule, leads.services.duplicate_scan). The values go into a temporary table
    with a trigram index, joined with itself by `%` (served by the index, with the
    threshold as pg_trgm's) and then by similarity() itself: one statement for
    every pair, where asking per value took a query each."""
    values = sorted(set(values))
    if len(values) < 2:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SIMILAR_VALUES_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {SIMILAR_VALUES_TABLE} (value text NOT NULL) "
            "ON COMMIT DROP"
        )
        for start in range(0, len(values), SIMILAR_VALUES_PER_INSERT):
            cursor.execute(
                f"INSERT INTO {SIMILAR_VALUES_TABLE} SELECT unnest(%s::text[])",  # noqa: S608
                [values[start : start + SIMILAR_VALUES_PER_INSERT]],
            )
        cursor.execute(
            f"CREATE INDEX ON {SIMILAR_VALUES_TABLE} USING gin (value gin_trgm_ops)"
        )
        cursor.execute(f"ANALYZE {SIMILAR_VALUES_TABLE}")
        _set_trigram_threshold(cursor, threshold)
        cursor.execute(
            f"SELECT a.value, b.value FROM {SIMILAR_VALUES_TABLE} a "  # noqa: S608
            f"JOIN {SIMILAR_VALUES_TABLE} b ON a.value %% b.value AND a.value < b.value "
            "WHERE similarity(a.value, b.value) >= %s",
            [threshold],
        )
        pairs = cursor.fetchall()
        cursor.execute(f"DROP TABLE {SIMILAR_VALUES_TABLE}")
    return pairs
