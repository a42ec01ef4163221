"""The lead board: a manager's open leads in two capped columns (New, Contacted)."""

from leads.management.bench import scenario
from leads.management.bench.core import in_list
from leads.management.bench.lists import LEAD_FROM
from leads.models import LeadState, LeadStatus
from leads.selectors.board import BOARD_COUNT_CAP, COLUMN_SIZE

OPEN = int(LeadState.OPEN)
CARD_COLUMNS = (
    "l.id, l.version, l.first_name, l.last_name, l.subject, l.company_name, "
    "l.status, l.state, l.created_at, u.first_name, u.last_name, t.name, s.score, "
    "(SELECT a.subject FROM leads_activity a WHERE a.lead_id = l.id "
    "AND a.state = 'open' ORDER BY a.due_at ASC NULLS LAST, a.created_at LIMIT 1)"
)


def board_floor(where, params):
    """Each column's first cards (one past the page) and its capped count, along
    the same index (leads.selectors.board.column_count)."""
    statements = []
    for status in (LeadStatus.NEW, LeadStatus.CONTACTED):
        column = f"{where} AND l.state = %s AND l.status = %s"
        values = [*params, OPEN, int(status)]
        statements += [
            (
                f"SELECT {CARD_COLUMNS} FROM {LEAD_FROM} "
                "LEFT JOIN leads_leadscore s ON s.lead_id = l.id "
                f"WHERE {column} ORDER BY l.created_at DESC, l.id DESC "
                f"LIMIT {COLUMN_SIZE + 1}",
                values,
            ),
            (
                f"SELECT count(*) FROM (SELECT 1 FROM leads_lead l WHERE {column} "
                "ORDER BY l.created_at DESC, l.id DESC "
                f"LIMIT {BOARD_COUNT_CAP + 1}) capped",
                values,
            ),
        ]
    return statements


@scenario("board")
def board(bench):
    """All open leads of the manager's units on the board (first paint)."""
    units, params = in_list(bench.manager_units)
    floor = board_floor(f"l.business_unit_id IN {units}", params)
    return bench.get("manager", "/leads/board/?view=open", floor=floor)
