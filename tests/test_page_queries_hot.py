"""The hot pages' query budgets (issue 26, "Python off the hot path"): the lead page,
the lead list, home, qualify and the admin's lead changelist each run at most the
queries counted here, so that a new panel's reads cannot creep in unnoticed. Each
budget is what the page runs today; raise one only with the reason in the commit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import ConsentMethod, ConsentPurpose, ConsentStatus
from leads.selectors.leads import my_open_leads, open_and_new_counts
from leads.services.consent import record_consent
from privacy.services.holds import set_legal_hold
from tests import factories
from tests.reading import page

pytestmark = pytest.mark.django_db

# Every page's own reads: the session, the user, and one statement for the user's
# groups, teams, permissions, business units, the unread notifications' count and
# whether the user has an API token (the menu). The lead page adds the lead (with
# its presence flags), the stage steps, the consent purposes and the lists that have
# rows; with consents and a legal hold, the consent states and the holds (the
# consent log and the form to record consent load when their disclosures open).
LEAD_PAGE = 6
LEAD_PAGE_WITH_CONSENT = LEAD_PAGE + 2
LIST_PAGE = 6
HOME = 9
QUALIFY_POST = 40
ADMIN_CHANGELIST = 6


def tables(ctx, table):
    """The queries that read rows of `table` (not an EXISTS about it)."""
    return [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith(f'SELECT "{table}".')
    ]


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(
        owner_user=rep,
        business_unit=rep.business_unit,
        company_name="Heron Ltd",
        email="ada@heron.example",
    )


@pytest.fixture
def purposes(db):
    return [
        ConsentPurpose.objects.create(name="Newsletter", code="newsletter"),
        ConsentPurpose.objects.create(name="Sales follow-up", code="follow_up"),
    ]


def _purpose_options(client, panel):
    """The purposes the consent form offers (loaded when "Record consent" opens)."""
    url = panel.find("details", id="consent-record").attrs["hx-get"]
    form = page(client.get(url, headers={"HX-Request": "true"}).content)
    return form.find("select", name="purpose").find_all("option")[1:]


def _warm(client, url):
    # The process's caches (content types, scoring settings) fill once.
    assert client.get(url).status_code == 200


def test_lead_page_without_consent_or_holds_reads_neither(
    rep_client, lead, purposes, django_assert_max_num_queries
):
    """The lead's query says it has no consent log and no legal hold: only the
    purposes are read (for the panel; its form loads when it opens), and the stage
    steps once for
    the Qualify button's guard and the stage bar (the default steps of migration
    0008)."""
    url = lead.get_absolute_url()
    _warm(rep_client, url)
    with (
        django_assert_max_num_queries(LEAD_PAGE),
        CaptureQueriesContext(connection) as ctx,
    ):
        response = rep_client.get(url)
    assert len(tables(ctx, "accounts_stagestep")) == 1
    assert len(tables(ctx, "leads_consentpurpose")) == 1
    for table in ("leads_consentstate", "leads_consentevent", "privacy_legalhold"):
        assert not tables(ctx, table), table
    html = page(response.content)
    panel = html.find("section", id="consent")
    assert [li.attrs["data-status"] for li in panel.find_all("li")] == [
        "none",
        "none",
    ]
    assert [o.text for o in _purpose_options(rep_client, panel)] == [
        "Newsletter",
        "Sales follow-up",
    ]
    assert not html.find_all(id="privacy-box")
    # The stage bar (the default steps) and the Qualify button.
    assert html.find(css="stage-bar")
    assert "Qualify" in html.find(css="actions").text


def test_lead_page_with_consent_and_a_hold_shows_both_within_its_budget(
    rep_client, rep, lead, purposes, administrator, django_assert_max_num_queries
):
    newsletter, follow_up = purposes
    record_consent(
        person=lead,
        purpose=newsletter,
        status=ConsentStatus.GIVEN,
        method=ConsentMethod.PHONE,
        by=rep,
    )
    follow_up.is_active = False
    follow_up.save()
    set_legal_hold(record=lead, reason="Litigation 2026-17", by=administrator)
    url = lead.get_absolute_url()
    _warm(rep_client, url)
    with django_assert_max_num_queries(LEAD_PAGE_WITH_CONSENT):
        response = rep_client.get(url)
    html = page(response.content)
    panel = html.find("section", id="consent")
    assert [
        (li.attrs["data-purpose"], li.attrs["data-status"])
        for li in panel.find_all("li")
        if "data-purpose" in li.attrs
    ] == [("newsletter", "given")]
    assert "Phone" in panel.text and str(rep) in panel.text
    # The switched-off purpose is no longer offered.
    assert [o.text for o in _purpose_options(rep_client, panel)] == ["Newsletter"]
    assert "Legal hold" in html.find(id="privacy-box").text


@pytest.mark.parametrize(
    ("role", "url"), [("rep", "/leads/?view=mine"), ("manager", "/leads/?view=open")]
)
def test_lead_list_within_its_budget(
    client, request, rep, role, url, django_assert_max_num_queries
):
    client.force_login(request.getfixturevalue(role))
    factories.LeadFactory.create_batch(
        12, owner_user=rep, business_unit=rep.business_unit
    )
    _warm(client, url)
    with django_assert_max_num_queries(LIST_PAGE):
        response = client.get(url)
    assert page(response.content).find("table").find("tbody").find_all("tr")


def test_home_within_its_budget(rep_client, rep, lead, django_assert_max_num_queries):
    factories.ActivityFactory(lead=lead, owner=rep)
    _warm(rep_client, "/")
    with django_assert_max_num_queries(HOME):
        response = rep_client.get("/")
    assert lead.last_name in response.content.decode()


def test_home_counts_open_and_new_leads_in_one_query(rep_client, rep):
    def make(n, **traits):
        factories.LeadFactory.create_batch(
            n, owner_user=rep, business_unit=rep.business_unit, **traits
        )

    make(3)
    make(2, contacted=True)
    make(1, disqualified=True)
    with CaptureQueriesContext(connection) as ctx:
        response = rep_client.get("/")
    assert (response.context["open_count"], response.context["new_count"]) == (5, 3)
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"]]
    assert len([sql for sql in counts if "leads_lead" in sql]) == 1


def test_open_and_new_counts_past_the_cap_count_new_on_their_own(rep):
    factories.LeadFactory.create_batch(
        4, owner_user=rep, business_unit=rep.business_unit
    )
    factories.LeadFactory(
        owner_user=rep, business_unit=rep.business_unit, contacted=True
    )
    open_leads = my_open_leads(user=rep)
    assert open_and_new_counts(open_leads, cap=10) == (5, 4)
    # Both past a cap of 2: shown as "2+" each.
    assert open_and_new_counts(open_leads, cap=2) == (3, 3)


def test_qualify_post_within_its_budget(
    rep_client, lead, django_assert_max_num_queries
):
    data = {
        "create_account": "on",
        "create_contact": "on",
        "create_opportunity": "on",
        "status_reason": "3",
    }
    with (
        django_assert_max_num_queries(QUALIFY_POST),
        CaptureQueriesContext(connection) as ctx,
    ):
        response = rep_client.post(f"/leads/{lead.pk}/qualify/", data)
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.qualifying_opportunity_id
    # The steps of each process once: the lead's (the Qualify guard) and the
    # opportunity's (the new opportunity's start stage).
    assert len(tables(ctx, "accounts_stagestep")) <= 2


def test_admin_changelist_without_the_sidebar_within_its_budget(
    client, administrator, rep, django_assert_max_num_queries
):
    client.force_login(administrator)
    factories.LeadFactory.create_batch(
        12, owner_user=rep, business_unit=rep.business_unit
    )
    _warm(client, "/admin/leads/lead/")
    # On PostgreSQL the paginator asks the planner before it counts a small table
    # (the row estimate, then EXPLAIN: leadsite/core/admin_counts.py).
    planner = 2 if connection.vendor == "postgresql" else 0
    with django_assert_max_num_queries(ADMIN_CHANGELIST + planner):
        response = client.get("/admin/leads/lead/")
    html = response.content.decode()
    assert 'id="result_list"' in html
    assert 'id="nav-sidebar"' not in html
    # Other admin pages keep it.
    assert 'id="nav-sidebar"' in client.get("/admin/leads/campaign/").content.decode()
