"""Columns of a board (the opportunity board; the lead board has its own selector):
like the paginator (pagination.py), a bounded read whatever the table's size.

Each column is one query for its first cards (one more than shown, to know whether
there are more) and one capped count (a sliced subquery that keeps the board's
order, so the count walks the same index as the cards).
"""

from dataclasses import dataclass

COLUMN_SIZE = 20
COUNT_CAP = 1_000


@dataclass
class Column:
    value: int
    label: str
    rows: list
    has_more: bool
    count: int
    cap: int = COUNT_CAP

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def next_offset(self) -> int:
        return len(self.rows)


def column_rows(queryset, *, offset: int = 0, limit: int = COLUMN_SIZE):
    """`limit` rows of `queryset` (ordered) from `offset`, and whether more follow."""
    rows = list(queryset[offset : offset + limit + 1])
    return rows[:limit], len(rows) > limit


def board_columns(
    queryset,
    *,
    field: str,
    choices,
    only=(),
    limit: int = COLUMN_SIZE,
    cap: int = COUNT_CAP,
) -> list[Column]:
    """A Column per (value, label) of `choices`: the rows of `queryset` (ordered)
    whose `field` is that value, reading the columns `only` names (all without).
    Two queries a column."""
    if only:
        queryset = queryset.only(*only)
    columns = []
    for value, label in choices:
        rows_of = queryset.filter(**{field: value})
        rows, has_more = column_rows(rows_of, limit=limit)
        count = rows_of.values("pk")[: cap + 1].count()
        columns.append(Column(int(value), str(label), rows, has_more, count, cap))
    return columns
