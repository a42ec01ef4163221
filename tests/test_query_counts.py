"""Pages run a number of queries that does not grow with the data: 10 rows or 100,
5 timeline items or 200, the same queries; and no query runs twice in a request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from leads.services.scoring import pin_score
from tests import factories

pytestmark = pytest.mark.django_db


def queries(client, url, method="get", data=None):
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 302), (url, response.status_code)
    return [q["sql"] for q in ctx.captured_queries]


def leads(n, *, owner, **extra):
    return factories.LeadFactory.create_batch(
        n, owner_user=owner, business_unit=owner.business_unit, **extra
    )


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("rep", "/leads/?view=mine"),
        ("manager", "/leads/?view=open"),
        ("manager", "/leads/?view=all&q=jo"),
        ("manager", "/leads/?view=all&q=smith&source=8"),
        ("rep", "/"),
    ],
)
def test_lead_lists_run_the_same_queries_for_10_and_100_rows(
    client, request, role, url
):
    user = request.getfixturevalue(role)
    owner = request.getfixturevalue("rep")
    client.force_login(user)
    leads(10, owner=owner, last_name="Johnson", source=8, email="jo@example.com")
    client.get(url)  # the process's scoring settings and tables load once
    few = queries(client, url)
    leads(90, owner=owner, last_name="Smith", first_name="Jo", source=8)
    many = queries(client, url)
    assert len(many) == len(few), url


def test_opportunity_list_runs_the_same_queries_for_10_and_100_rows(
    client, manager, rep
):
    client.force_login(manager)
    factories.OpportunityFactory.create_batch(10, owner_user=rep)
    few = queries(client, "/opportunities/")
    factories.OpportunityFactory.create_batch(90, owner_user=rep)
    assert len(queries(client, "/opportunities/")) == len(few)


def test_admin_changelist_runs_the_same_queries_for_10_and_100_rows(
    client, administrator, rep
):
    client.force_login(administrator)
    leads(10, owner=rep)
    few = queries(client, "/admin/leads/lead/")
    leads(90, owner=rep)
    assert len(queries(client, "/admin/leads/lead/")) == len(few)
    assert len(queries(client, "/admin/leads/lead/?q=smith")) <= len(few) + 1


def test_lead_page_runs_the_same_queries_for_5_and_200_timeline_items(client, rep):
    client.force_login(rep)
    (lead,) = leads(1, owner=rep)
    factories.ActivityFactory.create_batch(4, lead=lead, owner=rep)
    factories.NoteFactory.create_batch(1, lead=lead, created_by=rep)
    client.get(lead.get_absolute_url())  # the content type cache fills once
    few = queries(client, lead.get_absolute_url())
    factories.ActivityFactory.create_batch(150, lead=lead, owner=rep)
    factories.NoteFactory.create_batch(45, lead=lead, created_by=rep)
    assert len(queries(client, lead.get_absolute_url())) == len(few)


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("rep", "/leads/?view=mine"),
        ("manager", "/leads/?view=open"),
        ("manager", "/"),
        ("rep", "lead"),
    ],
)
def test_no_query_runs_twice_in_one_request(client, request, role, url):
    """The business-unit tree, the user's teams and groups: each read once."""
    user = request.getfixturevalue(role)
    rep = request.getfixturevalue("rep")
    client.force_login(user)
    (lead,) = leads(3, owner=rep)[:1]
    sqls = queries(client, lead.get_absolute_url() if url == "lead" else url)
    repeated = {sql for sql in sqls if sqls.count(sql) > 1}
    assert not repeated, repeated


def test_a_valid_qualify_post_reads_no_matches_or_pickers(client, rep):
    """The matching accounts/contacts and the 'most recently modified' pickers
    are for the form page; a valid POST redirects without reading them."""
    client.force_login(rep)
    (lead,) = leads(1, owner=rep, company_name="Acme")
    factories.AccountFactory(owner_user=rep, name="Acme")
    data = {
        "create_account": "on",
        "create_contact": "on",
        "create_opportunity": "on",
        "status_reason": "3",
    }
    sqls = queries(client, f"/leads/{lead.pk}/qualify/", "post", data)
    lead.refresh_from_db()
    assert lead.qualifying_opportunity_id
    assert not [s for s in sqls if 'modified_at" DESC' in s and "SELECT" in s[:10]]
    assert not [s for s in sqls if s.startswith("SELECT") and "LIKE" in s]
    # The form page itself still shows the match.
    response = client.get(
        f"/leads/{(leads(1, owner=rep, company_name='Acme'))[0].pk}/qualify/"
    )
    assert "Acme" in response.content.decode()


def test_my_open_leads_of_a_rep_filter_on_the_owner_alone(client, rep):
    """Same rows as the scope ANDed with owner = rep, but a predicate the
    planner can answer from the (owner, state, created) index: no OR with the
    rep's teams."""
    team = factories.TeamFactory(business_unit=rep.business_unit)
    team.members.add(rep)
    (own,) = leads(1, owner=rep)
    factories.LeadFactory(
        owner_user=None, owner_team=team, business_unit=rep.business_unit
    )
    client.force_login(rep)
    for url in ["/leads/?view=mine", "/"]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        lead_queries = [
            q["sql"] for q in ctx.captured_queries if 'FROM "leads_lead"' in q["sql"]
        ]
        assert lead_queries, url
        for sql in lead_queries:
            assert '"owner_team_id" IN' not in sql, (url, sql)
    assert [lead.pk for lead in response.context["my_open_leads"]] == [own.pk]
    response = client.get("/leads/?view=mine")
    assert [lead.pk for lead in response.context["leads"]] == [own.pk]
    # The team's lead is still in the rep's scope elsewhere.
    assert len(client.get("/leads/?view=open").context["leads"]) == 2


def test_home_runs_the_same_queries_for_2_and_20_open_activities(client, rep):
    """The activities regard leads and accounts; their names come from one query
    per kind of record, not one per activity."""
    client.force_login(rep)
    (lead,) = leads(1, owner=rep)
    account = factories.AccountFactory(owner_user=rep)
    factories.ActivityFactory(lead=lead, owner=rep)
    factories.ActivityFactory(lead=None, account=account, owner=rep)
    client.get("/")  # the process's scoring settings and tables load once
    few = queries(client, "/")
    for _ in range(9):
        (other,) = leads(1, owner=rep)
        factories.ActivityFactory(lead=other, owner=rep)
        factories.ActivityFactory(lead=None, account=account, owner=rep)
    many = queries(client, "/")
    assert len(many) == len(few)
    page = client.get("/").content.decode()
    assert escape(str(other)) in page and escape(account.name) in page


@pytest.mark.parametrize("url", ["/leads/?view=mine", "/leads/?view=mine&sort=-score"])
def test_lead_list_runs_the_same_queries_for_5_and_50_scored_leads(client, rep, url):
    """The Score column: each lead's score row joined, the grade thresholds read
    once per page (and kept by the process, as the scoring tables are)."""
    client.force_login(rep)

    def scored(n):
        for index, lead in enumerate(leads(n, owner=rep)):
            pin_score(lead=lead, by=rep, score=40 + index, reason="Call")

    scored(5)
    client.get(url)  # the process reads the scoring settings once a minute
    few = queries(client, url)
    scored(45)
    shown = client.get(url).content.decode()
    many = queries(client, url)
    assert len(many) == len(few), url
    assert shown.count('<td class="c-score') == 50
