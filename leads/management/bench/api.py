"""The REST API beside the pages it mirrors: the lead list's first page and page
10,000 by cursor, one lead, and qualify. Session-authenticated clients (a token
adds one indexed lookup); writes rolled back after each run."""

import json

from django.db import transaction
from rest_framework.pagination import Cursor

from leads.management.bench import scenario
from leads.management.bench.core import _Rollback, in_list
from leads.management.bench.detail import _reps_open_lead
from leads.management.bench.lists import LEAD_FROM, OPEN
from leads.models import Lead
from leadsite.core.api import KeysetPagination

API_PAGE = KeysetPagination.page_size
FAR_PAGE = 10_000
# What the API's lead list reads per row (LeadSerializer): the lead and its owner.
API_COLUMNS = "l.*, u.username, u.first_name, u.last_name, t.name"


def _scope(bench):
    units, params = in_list(bench.manager_units)
    return f"l.business_unit_id IN {units} AND l.state = %s", [*params, OPEN]


def _keyset_floor(where, params, after=None, size=API_PAGE):
    """One page by keyset: the rows after the cursor's position, newest first."""
    if after is not None:
        where = f"{where} AND l.created_at < %s"
        params = [*params, after]
    return [
        (
            f"SELECT {API_COLUMNS} FROM {LEAD_FROM} WHERE {where} "
            f"ORDER BY l.created_at DESC, l.id DESC LIMIT {size + 1}",
            params,
        )
    ]


def _every_lead():
    return Lead.objects.order_by("-created_at", "-id")


def _cursor_to_page(bench, page: int) -> dict:
    """The `cursor` query value that opens page `page` of every lead (what an
    administrator's `view=all` lists), or the last full page on a smaller data set
    (with smaller pages when there
    are not two of the usual size), with the page number, page size and the
    position it starts after: what a client holds after following `next` that
    many times. Built from the row that ends the page before, as the pagination
    itself encodes it."""
    total = _every_lead().count()
    size = API_PAGE if total >= 2 * API_PAGE else max(1, total // 3)
    page = max(2, min(page, total // size))
    if total < 2:
        raise LookupError("fewer than two leads: seed first")
    last = _every_lead().values_list("created_at", flat=True)[(page - 1) * size - 1]
    paginator = KeysetPagination()
    paginator.base_url = "/api/leads"
    token = paginator.encode_cursor(Cursor(offset=0, reverse=False, position=last))
    return {
        "cursor": token.split("cursor=", 1)[1],
        "page": page,
        "page_size": size,
        "after": last,
    }


@scenario("api_lead_list_p1")
def api_lead_list_p1(bench):
    where, params = _scope(bench)
    return bench.get(
        "manager", "/api/leads?view=open", floor=_keyset_floor(where, params)
    )


@scenario("api_lead_list_p10000")
def api_lead_list_p10000(bench):
    """Page 10,000 of every lead (the administrator's list, 500,000 rows in at a
    million leads), reached by its cursor: one index range, as page 1 is."""
    far = _cursor_to_page(bench, FAR_PAGE)
    result = bench.get(
        "admin",
        f"/api/leads?view=all&page_size={far['page_size']}&cursor={far['cursor']}",
        floor=_keyset_floor("TRUE", [], far["after"], size=far["page_size"]),
    )
    return {**result, "page": far["page"], "page_size": far["page_size"]}


@scenario("api_lead_list_all_p1")
def api_lead_list_all_p1(bench):
    """Page 1 of the same list, for the comparison."""
    return bench.get("admin", "/api/leads?view=all", floor=_keyset_floor("TRUE", []))


@scenario("api_lead_retrieve")
def api_lead_retrieve(bench):
    lead = _reps_open_lead(bench)
    floor = [
        (
            f"SELECT {API_COLUMNS} FROM {LEAD_FROM} WHERE l.id = %s",
            [lead.pk],
        )
    ]
    return bench.get("rep", f"/api/leads/{lead.pk}", floor=floor)


@scenario("api_qualify")
def api_qualify(bench):
    """POST /api/leads/{id}/qualify creating account, contact and opportunity, as
    the page's qualify scenario does; each run rolled back."""
    lead = _reps_open_lead(bench, company_name__gt="")
    client = bench.clients["rep"]
    url = f"/api/leads/{lead.pk}/qualify"
    body = json.dumps({"create_duplicates": True})

    def run():
        try:
            with transaction.atomic():
                run.response = client.post(
                    url,
                    body,
                    content_type="application/json",
                    headers={"if_match": f'"{lead.version}"'},
                )
                raise _Rollback
        except _Rollback:
            return run.response

    return {"url": url, **bench.measure(run, None, 200)}
