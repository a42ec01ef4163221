"""List pages: the lead list's saved views, filters and search, home, opportunities."""

import datetime

from django.utils import timezone

from accounts.models import OpportunityState
from leads.management.bench import scenario
from leads.management.bench.core import in_list
from leads.models import ActivityState, LeadSource, LeadState, LeadStatus
from leads.selectors.leads import HOME_COUNT_CAP
from leads.views.leads import SEARCH_COUNT_CAP

PAGE = 51  # the list reads one row past its 50 to know whether a next page exists
CAP = 10_001  # counts stop here (selectors.COUNT_CAP + 1)
HOME_CAP = HOME_COUNT_CAP + 1  # the home page's counts stop here
SEARCH_CAP = SEARCH_COUNT_CAP + 1  # where a text search's count stops
LEAD_COLUMNS = (
    "l.id, l.salutation, l.first_name, l.last_name, l.subject, l.company_name, "
    "l.status, l.rating, l.estimated_value, l.estimated_close_date, l.created_at, "
    "u.first_name, u.last_name, t.name"
)
LEAD_FROM = (
    "leads_lead l LEFT JOIN accounts_user u ON u.id = l.owner_user_id "
    "LEFT JOIN accounts_team t ON t.id = l.owner_team_id"
)
# Codes in the floors' parameters, from the enums.
OPEN, NEW, WEB = int(LeadState.OPEN), int(LeadStatus.NEW), int(LeadSource.WEB)


def lead_page(where, params, *, offset=0, cap=CAP):
    """The hand-written floor of one lead list page: its rows and the capped count
    (a search's counted newest first, as the page counts it)."""
    order = " ORDER BY l.created_at DESC, l.id DESC" if cap == SEARCH_CAP else ""
    return [
        (
            f"SELECT {LEAD_COLUMNS} FROM {LEAD_FROM} WHERE {where} "
            f"ORDER BY l.created_at DESC, l.id DESC LIMIT {PAGE} OFFSET {offset}",
            params,
        ),
        (
            f"SELECT count(*) FROM (SELECT 1 FROM leads_lead l WHERE {where}{order} "
            f"LIMIT {cap}) capped",
            params,
        ),
    ]


def _manager_scope(bench):
    units, params = in_list(bench.manager_units)
    return f"l.business_unit_id IN {units}", params


@scenario("lead_list_mine")
def lead_list_mine(bench):
    rep = bench.users["rep"].pk
    floor = lead_page("l.owner_user_id = %s AND l.state = %s", [rep, OPEN])
    return bench.get("rep", "/leads/?view=mine", floor=floor)


@scenario("lead_list_all_open_p1")
def lead_list_all_open_p1(bench):
    scope, params = _manager_scope(bench)
    floor = lead_page(f"{scope} AND l.state = %s", [*params, OPEN])
    return bench.get("manager", "/leads/?view=open", floor=floor)


@scenario("lead_list_all_open_p100")
def lead_list_all_open_p100(bench):
    scope, params = _manager_scope(bench)
    floor = lead_page(f"{scope} AND l.state = %s", [*params, OPEN], offset=99 * 50)
    return bench.get("manager", "/leads/?view=open&page=100", floor=floor)


@scenario("lead_list_by_score")
def lead_list_by_score(bench):
    """All open leads of the manager's scope, highest score first (unscored last),
    page 1: each lead's score row joined (every lead has one: an inner join) for
    the sort, read in the order of the index lead_score_desc."""
    scope, params = _manager_scope(bench)
    where, params = f"{scope} AND l.state = %s", [*params, OPEN]
    rows = (
        f"SELECT {LEAD_COLUMNS}, s.score, s.pinned_score FROM {LEAD_FROM} "
        f"JOIN leads_leadscore s ON s.lead_id = l.id WHERE {where} "
        f"ORDER BY s.score DESC NULLS LAST, l.id DESC LIMIT {PAGE}"
    )
    floor = [(rows, params), lead_page(where, params)[1]]
    return bench.get("manager", "/leads/?view=open&sort=-score", floor=floor)


@scenario("lead_list_filtered")
def lead_list_filtered(bench):
    """Source Web, created in the last half year, "smith" anywhere in the name,
    company or email (the trigram-indexed search)."""
    today = timezone.localdate()
    start = today - datetime.timedelta(days=182)
    scope, params = _manager_scope(bench)
    text = " OR ".join(
        f"UPPER(l.{c}) LIKE UPPER(%s)"
        for c in ("last_name", "first_name", "company_name", "email")
    )
    where = (
        f"{scope} AND l.source = %s AND l.created_at >= %s AND l.created_at < %s "
        f"AND ({text})"
    )
    end = today + datetime.timedelta(days=1)
    floor = lead_page(
        where, [*params, WEB, start, end, *["%smith%"] * 4], cap=SEARCH_CAP
    )
    url = (
        f"/leads/?view=all&source={WEB}&created_after={start.isoformat()}"
        f"&created_before={today.isoformat()}&q=smith"
    )
    return bench.get("manager", url, floor=floor, unprepared_floor=True)


@scenario("lead_search_short")
def lead_search_short(bench):
    """A two-letter search: prefix matches on the indexed name and company columns."""
    scope, params = _manager_scope(bench)
    text = " OR ".join(
        f"UPPER(l.{c}) LIKE %s" for c in ("last_name", "first_name", "company_name")
    )
    floor = lead_page(f"{scope} AND ({text})", [*params, *["JO%"] * 3], cap=SEARCH_CAP)
    return bench.get(
        "manager", "/leads/?view=all&q=jo", floor=floor, unprepared_floor=True
    )


@scenario("home_rep")
def home_rep(bench):
    rep = bench.users["rep"].pk
    floor = [
        (
            "SELECT id, first_name, last_name, company_name, status, created_at "
            "FROM leads_lead WHERE owner_user_id = %s AND state = %s "
            "ORDER BY created_at DESC, id DESC LIMIT 10",
            [rep, OPEN],
        ),
        (
            "SELECT count(*), count(*) FILTER (WHERE status = %s) FROM (SELECT status "
            f"FROM leads_lead WHERE owner_user_id = %s AND state = %s LIMIT {HOME_CAP}) c",
            [NEW, rep, OPEN],
        ),
        (
            "SELECT id, kind, subject, due_at, lead_id FROM leads_activity "
            "WHERE owner_id = %s AND state = %s "
            "ORDER BY due_at ASC NULLS LAST, created_at DESC LIMIT 10",
            [rep, str(ActivityState.OPEN)],
        ),
    ]
    return bench.get("rep", "/", floor=floor)


@scenario("opportunities_list")
def opportunities_list(bench):
    """The list's default view: the open deals, a page of them, their count and
    their totals (estimated and weighted revenue), both capped."""
    scope, params = in_list(bench.manager_units)
    where = f"WHERE o.business_unit_id IN {scope} AND o.state = %s"
    params.append(int(OpportunityState.OPEN))
    floor = [
        (
            "SELECT o.id, o.name, o.estimated_value, o.estimated_close_date, o.state, "
            "o.sales_stage, o.close_probability, "
            "a.name, c.first_name, c.last_name, u.first_name, u.last_name "
            "FROM accounts_opportunity o "
            "LEFT JOIN accounts_account a ON a.id = o.account_id "
            "LEFT JOIN accounts_contact c ON c.id = o.contact_id "
            "LEFT JOIN accounts_user u ON u.id = o.owner_user_id "
            f"{where} ORDER BY o.created_at DESC LIMIT 50",
            params,
        ),
        (
            "SELECT count(*) FROM (SELECT 1 FROM accounts_opportunity o "
            f"{where} LIMIT {CAP}) capped",
            params,
        ),
        # The totals, over at most as many rows as the count (TOTALS_CAP).
        (
            "SELECT count(*), SUM(estimated_value), "
            "SUM(estimated_value * close_probability) FROM (SELECT "
            "o.estimated_value, o.close_probability FROM accounts_opportunity o "
            f"{where} LIMIT {CAP}) capped",
            params,
        ),
    ]
    return bench.get("manager", "/opportunities/", floor=floor)
