"""One paginator for every list page (leads, accounts, contacts, opportunities).

Two bounded queries whatever the table size: the page's rows plus one more (is there
a next page?) and a COUNT over at most `cap + 1` rows (a sliced subquery). Up to the
cap the page links end at the last page; past it the total shows as "10,000+" and
the links run to the next page only, so a million-row table is never counted.
Rendered by templates/partials/pagination.html.
"""

import math
from dataclasses import dataclass, field

COUNT_CAP = 10_000
PER_PAGE = 50
# Beyond any real table; a bigger page number would overflow the SQL OFFSET.
MAX_PAGE = 1_000_000


@dataclass
class Page:
    object_list: list
    number: int
    per_page: int
    total: int
    total_capped: bool
    has_next: bool
    querystring_prefix: str = ""
    links: list = field(default_factory=list)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def __bool__(self):
        return bool(self.object_list)

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_other_pages(self):
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self):
        return self.number - 1

    @property
    def next_page_number(self):
        return self.number + 1

    @property
    def start_index(self):
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self):
        return (self.number - 1) * self.per_page + len(self.object_list)

    @property
    def num_pages(self):
        """The page count, or None when the total is past the cap."""
        if self.total_capped:
            return None
        return max(1, math.ceil(self.total / self.per_page))


def page_number(request) -> int:
    try:
        return min(max(1, int(request.GET.get("page", 1))), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def count_capped(queryset, cap: int, *, in_order: bool = False) -> int:
    """COUNT over at most cap + 1 rows (a sliced subquery), never the whole table;
    in_order keeps the queryset's ORDER BY in the subquery (see paginate)."""
    return (queryset if in_order else queryset.order_by())[: cap + 1].count()


def _links(number, last, has_next, window=2):
    """Page numbers to link, None for a gap: 1 … n-2 n-1 [n] n+1 n+2 … last."""
    end = last if last is not None else (number + 1 if has_next else number)
    shown = {1, *range(max(1, number - window), min(end, number + window) + 1)}
    if last is not None:
        shown.add(last)
    links, previous = [], 0
    for value in sorted(shown):
        if value - previous > 1:
            links.append(None)
        links.append(value)
        previous = value
    return links


# From this offset on, the rows to skip are found by their ids alone.
DEFERRED_JOIN_OFFSET = 500


def _page_rows(queryset, start, limit):
    """queryset[start:start + limit]. Deep pages first pick the page's ids in a
    subquery, so that the rows skipped by OFFSET are walked in the index only (no
    heap fetch, no join per skipped row), then join the page's own rows (a
    "deferred join")."""
    if start < DEFERRED_JOIN_OFFSET:
        return queryset[start : start + limit]
    ids = queryset.values("pk")[start : start + limit]
    return queryset.filter(pk__in=ids)[:limit]


def paginate(
    request,
    queryset,
    *,
    per_page=PER_PAGE,
    cap=None,
    counted=None,
    count_in_order=False,
) -> Page:
    """The requested page of `queryset` (ordered), for the shared pagination partial;
    `counted` (default: `queryset`) is what the capped count counts, the same rows
    by a cheaper query. count_in_order counts `counted` in its order: for a text
    search beside other filters, so that PostgreSQL may walk the same index as the
    page, stopping at the cap, instead of reading every match's trigram bitmap
    (240 -> 37 ms for "smith" at ten million leads, and no longer growing)."""
    cap = COUNT_CAP if cap is None else cap
    number = page_number(request)
    start = (number - 1) * per_page
    rows = list(_page_rows(queryset, start, per_page + 1))
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    total = count_capped(
        queryset if counted is None else counted, cap, in_order=count_in_order
    )
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    page = Page(
        object_list=rows,
        number=number,
        per_page=per_page,
        total=total,
        total_capped=total > cap,
        has_next=has_next,
        querystring_prefix=f"{encoded}&" if encoded else "",
    )
    page.links = _links(number, page.num_pages, has_next)
    return page
