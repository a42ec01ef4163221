"""The Days per stage summary rows (SourceReportStage) of leads.reports.summary.

A refresh of a few days replaces their day rows and moves the roll-ups (month
and year per owner; day, month and year per business unit, whose owner columns
hold ALL_OWNERS) by the difference (recompute_stage_days, _move_stage_rows). A whole-span
rebuild (`manage.py rebuild_source_report`) writes every row set-based: the day
rows by one INSERT ... SELECT over the stage facts (leads.reports.straight.
stage_fact_rows), each roll-up level by one INSERT ... SELECT over the day rows,
so no row passes through Python (at 1,000,000 leads the rows built by the ORM and
bulk_create cost the rebuild 24 s of its 59 s).
"""

from django.db import connection
from django.db.models import F, Q, Sum
from django.db.models.functions import TruncMonth, TruncYear

from leads.models import SourceReportStage
from leads.models.reports import ALL_OWNERS, KEY
from leads.reports.straight import (
    STAGE_FIGURES,
    STAGE_KEY,
    stage_fact_rows,
    stage_facts,
)

DAY = SourceReportStage.DAY
MONTH = SourceReportStage.MONTH
YEAR = SourceReportStage.YEAR
UNIT_DAY = SourceReportStage.UNIT_DAY
UNIT_MONTH = SourceReportStage.UNIT_MONTH
UNIT_YEAR = SourceReportStage.UNIT_YEAR
# A unit roll-up's owner columns hold ALL_OWNERS.
OWNER_COLUMNS = ["owner_user_id", "owner_team_id"]
STAGE_ROWS_PER_INSERT = 2000
# Rows deleted per statement (SQLite caps the parameters of a statement).
ROWS_PER_DELETE = 1000
# The stored columns after period and level, in the order the INSERTs give them.
COLUMNS = ["source", *STAGE_KEY[1:], "stage", *STAGE_FIGURES]


def recompute_stage_days(period_q, leads, *, whole_span: bool) -> None:
    """Replace the SourceReportStage day rows of the days `period_q` selects by
    the stage facts of `leads` (the leads created on them) and move the month and
    year roll-ups by the difference, in four or five statements (_move_stage_rows);
    whole_span: every row recomputed outright, set-based (three INSERT ...
    SELECT statements: the day rows from the facts, the roll-ups from them)."""
    if not whole_span:
        old = SourceReportStage.objects.filter(period_q, level=DAY).values(
            "pk", "period", "stage", *STAGE_KEY, *STAGE_FIGURES
        )
        _move_stage_rows(list(old), stage_facts(leads))
        return
    SourceReportStage.objects.all().delete()
    qn = connection.ops.quote_name
    # The facts name their keys and stage r_<name>, their figures plainly.
    _insert_select(
        stage_fact_rows(leads),
        [
            qn("r_day"),
            str(DAY),
            *(qn(f"r_{name}") for name in ["source", *STAGE_KEY[1:], "stage"]),
            *(f"COALESCE({qn(name)}, 0)" for name in STAGE_FIGURES),
        ],
    )
    keys = COLUMNS[: -len(STAGE_FIGURES)]
    unit_keys = [name for name in keys if name not in OWNER_COLUMNS]
    for level, rolled in (
        (MONTH, TruncMonth("period")),
        (YEAR, TruncYear("period")),
        (UNIT_DAY, F("period")),
        (UNIT_MONTH, TruncMonth("period")),
        (UNIT_YEAR, TruncYear("period")),
    ):
        grouped = keys if level in (MONTH, YEAR) else unit_keys
        rows = (
            SourceReportStage.objects.filter(level=DAY)
            .order_by()
            .values(*grouped, r_period=rolled)
            .annotate(**{f"r_{name}": Sum(name) for name in STAGE_FIGURES})
        )
        _insert_select(
            rows,
            [
                qn("r_period"),
                str(level),
                *(qn(name) if name in grouped else str(ALL_OWNERS) for name in keys),
                *(qn(f"r_{name}") for name in STAGE_FIGURES),
            ],
        )


def _insert_select(rows, columns) -> None:
    """Insert the rows of the query `rows` into the stage table in one statement:
    `columns` are the SQL of period, level and COLUMNS over its result. Kept as
    SQL: the ORM has no INSERT ... SELECT (README "Performance", "Hand-written
    SQL"); tests/test_stage_summary_rebuild.py checks the rows it writes against
    the ones the refresh writes through the ORM."""
    qn = connection.ops.quote_name
    select, params = rows.query.sql_with_params()
    names = ", ".join(qn(name) for name in ["period", "level", *COLUMNS])
    table = qn(SourceReportStage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) "  # noqa: S608
            f"SELECT {', '.join(columns)} FROM ({select}) stage_rows",
            params,
        )


def _insert_stage_rows(rows, *, upsert=False) -> None:
    objects = [SourceReportStage(**row) for row in rows]
    conflicts = {}
    if upsert:
        conflicts = {
            "update_conflicts": True,
            "unique_fields": ["level", "period", *KEY, "stage"],
            "update_fields": STAGE_FIGURES,
        }
    SourceReportStage.objects.bulk_create(
        objects, batch_size=STAGE_ROWS_PER_INSERT, **conflicts
    )


def _stage_key(row, level, period):
    return (level, period, row["stage"], *(row[name] for name in STAGE_KEY))


def _move_stage_rows(old, new) -> None:
    """Write the `new` stage day rows over the `old` ones and add the difference
    to their roll-ups (per owner and per unit): one read of the roll-ups
    concerned, one upsert of every row that changed, one delete of the rows left
    empty."""
    changes: dict = {}
    for rows, sign in ((old, -1), (new, 1)):
        for row in rows:
            day = row["period"]
            month, year = day.replace(day=1), day.replace(month=1, day=1)
            unit_row = {**row, **dict.fromkeys(OWNER_COLUMNS, ALL_OWNERS)}
            for key in (
                _stage_key(row, DAY, day),
                _stage_key(row, MONTH, month),
                _stage_key(row, YEAR, year),
                _stage_key(unit_row, UNIT_DAY, day),
                _stage_key(unit_row, UNIT_MONTH, month),
                _stage_key(unit_row, UNIT_YEAR, year),
            ):
                change = changes.setdefault(key, [0] * len(STAGE_FIGURES))
                for index, name in enumerate(STAGE_FIGURES):
                    change[index] += sign * row[name]
    changes = {key: change for key, change in changes.items() if any(change)}
    if not changes:
        return
    current = {_stage_key(row, DAY, row["period"]): row for row in old}
    concerned = Q(pk__in=[])
    for level, period in {key[:2] for key in changes if key[0] != DAY}:
        concerned |= Q(level=level, period=period)
    # Keys are (level, period, stage, *STAGE_KEY): narrowed by owner too.
    owner = 3 + STAGE_KEY.index("owner_user_id")
    rolled = SourceReportStage.objects.filter(
        concerned, owner_user_id__in={key[owner] for key in changes}
    ).values("pk", "level", "period", "stage", *STAGE_KEY, *STAGE_FIGURES)
    current.update(
        (_stage_key(row, row["level"], row["period"]), row) for row in rolled
    )
    written = {_stage_key(row, DAY, row["period"]): row for row in new}
    upserts, emptied = [], []
    for key, change in changes.items():
        row = current.get(key, {})
        if key[0] == DAY:  # the new day row as it is, not old + difference
            figures = {
                name: written.get(key, {}).get(name, 0) for name in STAGE_FIGURES
            }
        else:
            figures = {
                name: row.get(name, 0) + change[index]
                for index, name in enumerate(STAGE_FIGURES)
            }
        if figures["finished"] or figures["open"]:
            level, period, stage, *keys = key
            upserts.append(
                {
                    "level": level,
                    "period": period,
                    "stage": stage,
                    **dict(zip(STAGE_KEY, keys, strict=True)),
                    **figures,
                }
            )
        elif row:
            emptied.append(row["pk"])
    _insert_stage_rows(upserts, upsert=True)
    for start in range(0, len(emptied), ROWS_PER_DELETE):
        chunk = emptied[start : start + ROWS_PER_DELETE]
        SourceReportStage.objects.filter(pk__in=chunk).delete()
