"""The Days per stage summary rows (SourceReportStage) of leads.reports.summary.

A refresh of a few days replaces their day rows and moves the month and year
roll-ups by the difference (recompute_stage_days, _move_stage_rows). A whole-span
rebuild (`manage.py rebuild_source_report`) writes every row set-based: the day
rows by one INSERT ... SELECT over the stage facts (leads.reports.straight.
stage_fact_rows), each roll-up level by one INSERT ... SELECT over the day rows,
so no row passes through Python (at 1,000,000 leads the rows built by the ORM and
bulk_create cost the rebuild 24 s of its 59 s).
"""

from django.db import connection
from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth, TruncYear

from leads.models import SourceReportStage
from leads.models.reports import KEY
from leads.reports.straight import (
    STAGE_FIGURES,
    STAGE_KEY,
    stage_fact_rows,
    stage_facts,
)

DAY = SourceReportStage.DAY
MONTH = SourceReportStage.MONTH
YEAR = SourceReportStage.YEAR
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
    for level, rolled in ((MONTH, TruncMonth("period")), (YEAR, TruncYear("period"))):
        rows = (
            SourceReportStage.objects.filter(level=DAY)
            .order_by()
            .values(*COLUMNS[: -len(STAGE_FIGURES)], r_period=rolled)
            .annotate(**{f"r_{name}": Sum(name) for name in STAGE_FIGURES})
        )
        _insert_select(
            rows,
            [
                qn("r_period"),
                str(level),
                *(qn(name) for name in COLUMNS[: -len(STAGE_FIGURES)]),
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
    to their month and year roll-ups: one read of the roll-ups concerned, one
    upsert of every row that changed, one delete of the rows left empty."""
    changes: dict = {}
    for rows, sign in ((old, -1), (new, 1)):
        for row in rows:
            day = row["period"]
            for level, period in (
                (DAY, day),
                (MONTH, day.replace(day=1)),
                (YEAR, day.replace(month=1, day=1)),
            ):
                change = changes.setdefault(
                    _stage_key(row, level, period), [0] * len(STAGE_FIGURES)
                )
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
