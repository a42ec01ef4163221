"""Reads for the lead board (/leads/board/): open leads in one column per status
reason, each column a capped page of cards and a capped count.

Built for a million leads: every column is its own query with a LIMIT, in the
list's order (newest first, the order of the owner/team/unit/state indexes), and
its count stops at BOARD_COUNT_CAP rows (a sliced subquery, as the list counts), so
a page reads the same few rows whatever the number of leads.
"""

from dataclasses import dataclass, field

from django.db.models import F, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from leads.filters import LeadFilter
from leads.models import Activity, ActivityState, LeadState, LeadStatus
from leads.selectors.leads import filter_leads

# The columns, left to right: the open status reasons.
BOARD_COLUMNS = [LeadStatus.NEW, LeadStatus.CONTACTED]
# Cards a column shows at first and each "Show more" adds.
COLUMN_SIZE = 20
# A column counts to here ("1,000+"): a board is worked from the top, and a capped
# count stays a short index range even for a manager's whole unit.
BOARD_COUNT_CAP = 1_000
# The board's saved views (the list's open ones) and the filters it offers.
BOARD_VIEWS = [
    ("mine", _("My open leads")),
    ("open", _("All open leads")),
    ("unassigned", _("Unassigned")),
]
BOARD_FILTERS = ["owner", "team", "source", "grade", "campaign"]

# What a card shows: the lead's columns read (the rest are not loaded).
CARD_FIELDS = [
    "id",
    "version",
    "first_name",
    "last_name",
    "subject",
    "company_name",
    "status",
    "state",
    "created_at",
    "owner_user__first_name",
    "owner_user__last_name",
    "owner_user__username",
    "owner_team__name",
    "score__score",
    "score__pinned_score",
]


def board_filter(*, user, params, request=None) -> LeadFilter:
    """The list's LeadFilter over `params` narrowed to the board's keys (view and
    BOARD_FILTERS); a view that is not an open one falls back to "mine". Its .qs is
    the user's scoped open leads, newest first."""
    allowed = {"view", *BOARD_FILTERS}
    data = params.copy()
    for key in list(data.keys()):
        if key not in allowed:
            del data[key]
    if data.get("view") not in dict(BOARD_VIEWS):
        data["view"] = "mine"
    return filter_leads(user=user, params=data, request=request)


def _next_activity(column: str):
    """The lead's next open activity (earliest due, undated last): one index probe
    per card (activity_lead), inside the column's query."""
    activities = Activity.objects.filter(
        lead=OuterRef("pk"), state=ActivityState.OPEN
    ).order_by(F("due_at").asc(nulls_last=True), "created_at")
    return Subquery(activities.values(column)[:1])


def column_cards(queryset, *, status: int, offset: int = 0, limit: int | None = None):
    """One column's cards from `queryset` (board_filter's .qs): leads with status
    `status`, `limit` of them from `offset`, plus one more to tell whether there are
    more (`limit` defaults to COLUMN_SIZE). Returns (leads, has_more). One query."""
    limit = COLUMN_SIZE if limit is None else limit
    rows = list(
        queryset.filter(state=LeadState.OPEN, status=status)
        .select_related(None)
        .select_related("owner_user", "owner_team", "score")
        .only(*CARD_FIELDS)
        .annotate(
            next_activity=_next_activity("subject"),
            next_due=_next_activity("due_at"),
        )[offset : offset + limit + 1]
    )
    return rows[:limit], len(rows) > limit


def column_count(queryset, *, status: int) -> int:
    """How many leads of `queryset` have status `status`, counted to
    BOARD_COUNT_CAP + 1. The sliced subquery keeps the list's order (newest
    first), so PostgreSQL counts along the owner/team/unit/state index that the
    cards come from; without it the planner guessed the capped count would end
    soon in a sequential scan, which read ten times the rows (15 ms against 1.5 at
    a million leads)."""
    ordered = queryset.filter(state=LeadState.OPEN, status=status).order_by(
        "-created_at", "-id"
    )
    return ordered[: BOARD_COUNT_CAP + 1].count()


@dataclass
class BoardColumn:
    status: int
    label: str
    leads: list
    has_more: bool
    count: int
    next_offset: int
    capped: bool = field(init=False)

    def __post_init__(self):
        self.capped = self.count > BOARD_COUNT_CAP


def lead_board(*, queryset) -> list[BoardColumn]:
    """Every column of the board for `queryset` (board_filter's .qs): two queries a
    column, its first cards and its capped count."""
    columns = []
    for status in BOARD_COLUMNS:
        leads, has_more = column_cards(queryset, status=status)
        columns.append(
            BoardColumn(
                status=int(status),
                label=status.label,
                leads=leads,
                has_more=has_more,
                count=column_count(queryset, status=status),
                next_offset=len(leads),
            )
        )
    return columns
