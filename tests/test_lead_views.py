"""Lead pages: home, list, detail, create/edit, qualify, disqualify, reactivate,
mark contacted and bulk actions; refusals as messages; tampered input; query counts."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Account, Contact, Opportunity
from leads.models import Lead, LeadAssignment, LeadRating, LeadState, LeadStatus
from tests import factories
from tests.reading import links, page, table_rows
from tests.support import lead_post_data, listed_last_names


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- home and list ------------------------------------------------------------------


def test_home_shows_my_open_leads_and_counts(rep_client, rep):
    factories.LeadFactory(owner_user=rep, last_name="Mine")
    factories.LeadFactory(owner_user=rep, last_name="Closed", qualified=True)
    html = rep_client.get("/").content.decode()
    assert "Mine" in html
    assert "Closed" not in html
    assert "My open leads" in html


def test_home_counts_stop_at_their_cap_and_say_so(rep_client, rep, monkeypatch):
    """The home page's counts stop past HOME_COUNT_CAP ("1,000+"): a rep's working
    set, the same cost however big the table."""
    from leads.selectors import leads as lead_selectors

    monkeypatch.setattr(lead_selectors, "HOME_COUNT_CAP", 2)
    factories.LeadFactory.create_batch(2, owner_user=rep, status=LeadStatus.NEW)
    factories.LeadFactory(owner_user=rep, status=LeadStatus.CONTACTED)
    response = rep_client.get("/")
    context = response.context
    assert (context["open_count"], context["new_count"]) == (3, 2)
    stats = [
        (cell.find(css="label").text, cell.find(css="value").text)
        for cell in page(response.content).find_all("a", css="stat")
    ]
    assert ("My open leads", "2+") in stats
    assert ("Not contacted yet", "2") in stats


def test_list_defaults_to_my_open_leads(rep_client, rep, org):
    team = factories.TeamFactory(business_unit=org.north, members=[rep])
    factories.LeadFactory(owner_user=rep, last_name="Mine")
    factories.LeadFactory(owner_user=None, owner_team=team, last_name="Teams")
    factories.LeadFactory(owner_user=rep, last_name="Done", disqualified=True)
    response = rep_client.get("/leads/")
    names = listed_last_names(response)
    assert names == ["Mine"]
    assert 'aria-current="page">My open leads' in response.content.decode()


def test_list_never_shows_leads_outside_scope(rep_client, rep2):
    factories.LeadFactory(owner_user=rep2, last_name="Hidden")
    response = rep_client.get("/leads/?view=all")
    assert "Hidden" not in response.content.decode()


# --- detail -------------------------------------------------------------------------


def test_detail_shows_groups_buttons_and_history(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, company_name="Contoso")
    rep_client.post(reverse("leads:mark-contacted", args=[lead.pk]))
    response = rep_client.get(lead.get_absolute_url())
    html = response.content.decode()
    for heading in [
        "Contact",
        "Company",
        "Qualification details",
        "Source and campaign",
        "Ownership",
        "History",
    ]:
        assert f"<h2>{heading}</h2>" in html
    assert [t.name for t in response.context["transitions"]] == [
        "qualify",
        "disqualify",
    ]
    assert reverse("leads:qualify", args=[lead.pk]) in html
    assert "Mark contacted</strong>: New → Contacted" in html


def test_transition_buttons_carry_a_csrf_token(client, rep):
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(rep)
    lead = factories.LeadFactory(owner_user=rep)
    page = client.get(lead.get_absolute_url())
    token = page.context["csrf_token"]
    html = page.content.decode()
    form_start = html.index(reverse("leads:mark-contacted", args=[lead.pk]))
    assert 'name="csrfmiddlewaretoken"' in html[form_start : form_start + 300]
    response = client.post(
        reverse("leads:mark-contacted", args=[lead.pk]),
        {"csrfmiddlewaretoken": str(token)},
    )
    assert response.status_code == 302


POST_FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
TOKEN = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">')


def _post_forms(html):
    """(action, token) of each POST form of a page; token None when it has none."""
    found = []
    for action, body in POST_FORM.findall(html):
        token = TOKEN.search(body)
        found.append((action, token.group(1) if token else None))
    return found


def test_every_post_form_of_the_lead_and_opportunity_pages_carries_a_token(rep):
    """The panels drawn by the Jinja2 engine (transition buttons, score unpin,
    product interests, account and contact links, stage steps) post with the page's
    CSRF token, and a POST with it is accepted where CSRF is enforced."""
    from leads.models import LeadScore
    from leads.services.scoring import pin_score

    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    lead = factories.LeadFactory(owner_user=rep)
    factories.LeadAccountFactory(lead=lead, account__owner_user=rep)
    factories.LeadContactFactory(lead=lead, contact__owner_user=rep)
    factories.LeadProductFactory(lead=lead)
    pin_score(lead=lead, by=rep, score=80, reason="Met them")
    opportunity = factories.OpportunityFactory(owner_user=rep)
    actions = set()
    for url in (lead.get_absolute_url(), opportunity.get_absolute_url()):
        forms = _post_forms(client.get(url).content.decode())
        assert [action for action, token in forms if not token] == [], url
        actions.update(action for action, _ in forms)
    lead_id = lead.pk
    for expected in (
        reverse("leads:mark-contacted", args=[lead_id]),
        reverse("leads:score-unpin", args=[lead_id]),
        reverse("leads:opportunity-stage", args=[opportunity.pk]),
    ):
        assert expected in actions
    assert any(a.startswith(f"/leads/{lead_id}/") and "unlink" in a for a in actions)
    page = client.get(lead.get_absolute_url()).content.decode()
    action, token = next((a, t) for a, t in _post_forms(page) if "unpin" in a)
    version = re.search(r'name="version" value="(\d+)"', page[page.index(action) :])
    response = client.post(
        action, {"csrfmiddlewaretoken": token, "version": version.group(1)}
    )
    assert response.status_code == 302
    assert LeadScore.objects.get(lead=lead).pinned_score is None


def test_detail_of_a_closed_lead_offers_only_reactivate(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, disqualified=True)
    response = rep_client.get(lead.get_absolute_url())
    assert [t.name for t in response.context["transitions"]] == ["reactivate"]
    assert reverse("leads:edit", args=[lead.pk]) not in response.content.decode()


def test_detail_outside_scope_is_404(rep_client, rep2):
    lead = factories.LeadFactory(owner_user=rep2)
    assert rep_client.get(lead.get_absolute_url()).status_code == 404


def test_detail_lists_records_created_by_qualification(rep_client, rep):
    account = factories.AccountFactory(owner_user=rep, name="Acme Corp")
    lead = factories.LeadFactory(
        owner_user=rep, qualified=True, qualifying_account=account
    )
    html = rep_client.get(lead.get_absolute_url()).content.decode()
    assert "Created by qualification" in html
    assert account.get_absolute_url() in html


# --- create / edit ------------------------------------------------------------------


def test_create_lead_redirects_to_it_owned_by_me(rep_client, rep):
    response = rep_client.post(reverse("leads:create"), lead_post_data())
    lead = Lead.objects.get()
    assert response.url == lead.get_absolute_url()
    assert (lead.owner_user, lead.created_by) == (rep, rep)
    assert lead.business_unit == rep.business_unit


def test_create_shows_field_errors_beside_fields(rep_client):
    response = rep_client.post(
        reverse("leads:create"),
        lead_post_data(
            subject="",
            last_name="",
            email="nope",
            website="not a url",
            business_phone="abc",
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"subject", "last_name", "email", "website", "business_phone"}
    assert 'id="id_last_name_error"' in response.content.decode()
    assert not Lead.objects.exists()


def test_create_warns_about_duplicates_then_saves_anyway(rep_client, rep):
    existing = factories.LeadFactory(owner_user=rep, email="grace@navy.example")
    response = rep_client.post(reverse("leads:create"), lead_post_data())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Possible duplicate" in html
    assert existing.get_absolute_url() in html
    assert Lead.objects.count() == 1
    response = rep_client.post(
        reverse("leads:create"), lead_post_data(confirm_duplicates="on")
    )
    assert response.status_code == 302
    assert Lead.objects.count() == 2


def test_edit_warns_with_a_merge_link(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, email="a@example.com")
    other = factories.LeadFactory(owner_user=rep, email="b@example.com")
    response = rep_client.post(
        reverse("leads:edit", args=[lead.pk]),
        lead_post_data(email="b@example.com", version=lead.version),
    )
    assert f"{reverse('leads:merge')}?ids={lead.pk},{other.pk}" in (
        response.content.decode()
    )


def test_edit_saves_an_open_lead(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    response = rep_client.post(
        reverse("leads:edit", args=[lead.pk]),
        lead_post_data(subject="Changed", version=lead.version),
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.subject == "Changed"


def test_edit_of_a_closed_lead_says_why_and_links_to_reactivate(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, qualified=True)
    response = rep_client.get(reverse("leads:edit", args=[lead.pk]))
    html = response.content.decode()
    assert "already qualified" in html
    assert reverse("leads:reactivate", args=[lead.pk]) in html
    response = rep_client.post(
        reverse("leads:edit", args=[lead.pk]), lead_post_data(subject="Changed")
    )
    lead.refresh_from_db()
    assert lead.subject != "Changed"


def test_edit_outside_scope_is_404(rep_client, rep2):
    lead = factories.LeadFactory(owner_user=rep2)
    response = rep_client.post(reverse("leads:edit", args=[lead.pk]), lead_post_data())
    assert response.status_code == 404


# --- qualify ------------------------------------------------------------------------


def qualify_data(**overrides):
    data = {
        "create_account": "on",
        "create_contact": "on",
        "create_opportunity": "on",
        "status_reason": "3",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_qualify_page_offers_matching_accounts_first(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, company_name="Fabrikam")
    match = factories.AccountFactory(owner_user=rep, name="Fabrikam, Inc.")
    factories.AccountFactory(owner_user=rep, name="Zeta")
    response = rep_client.get(reverse("leads:qualify", args=[lead.pk]))
    choices = response.context["form"].fields["existing_account"].choices
    assert choices[1][0] == "Possible matches"
    assert choices[1][1][0][0] == match.pk


def test_qualify_then_result_page_links_everything(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    response = rep_client.post(reverse("leads:qualify", args=[lead.pk]), qualify_data())
    assert response.url == reverse("leads:qualified", args=[lead.pk])
    html = rep_client.get(response.url).content.decode()
    for record in (
        Account.objects.get(),
        Contact.objects.get(),
        Opportunity.objects.get(),
    ):
        assert record.get_absolute_url() in html
    assert html.count(">created</span>") == 3


def test_qualify_without_customer_is_a_form_error(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    response = rep_client.post(
        reverse("leads:qualify", args=[lead.pk]),
        qualify_data(create_account=None, create_contact=None),
    )
    assert response.status_code == 200
    assert "needs a customer" in response.content.decode()
    lead.refresh_from_db()
    assert lead.is_open


def test_qualify_a_lead_with_bad_data_names_the_problem_and_writes_nothing(
    rep_client, rep
):
    """A lead saved before validation (import, old data) with an invalid email."""
    lead = factories.LeadFactory(owner_user=rep, email="dupré@example.com")
    response = rep_client.post(reverse("leads:qualify", args=[lead.pk]), qualify_data())
    assert response.status_code == 200
    html = response.content.decode()
    assert "The contact could not be created from this lead" in html
    assert "email: Enter a valid email address." in html
    lead.refresh_from_db()
    assert lead.is_open
    assert not Account.objects.exists() and not Contact.objects.exists()


def test_qualify_with_an_account_outside_scope_is_refused(rep_client, rep, rep2):
    lead = factories.LeadFactory(owner_user=rep)
    foreign = factories.AccountFactory(owner_user=rep2)
    response = rep_client.post(
        reverse("leads:qualify", args=[lead.pk]),
        qualify_data(existing_account=str(foreign.pk)),
    )
    assert response.status_code == 200
    assert "existing_account" in response.context["form"].errors
    lead.refresh_from_db()
    assert lead.is_open
    assert Account.objects.count() == 1


def test_qualify_a_lead_outside_scope_is_404(rep_client, rep2):
    lead = factories.LeadFactory(owner_user=rep2)
    response = rep_client.post(reverse("leads:qualify", args=[lead.pk]), qualify_data())
    assert response.status_code == 404
    assert not Account.objects.exists()


def test_qualify_from_a_stale_page_says_already_qualified_with_a_link(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    url = reverse("leads:qualify", args=[lead.pk])
    rep_client.post(url, qualify_data())
    response = rep_client.post(url, qualify_data(), follow=True)
    assert response.status_code == 200
    assert "already qualified" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("leads:qualified", args=[lead.pk])
    assert Account.objects.count() == 1


# --- disqualify, reactivate, mark contacted -----------------------------------------


def test_disqualify_with_a_reason(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    response = rep_client.post(
        reverse("leads:disqualify", args=[lead.pk]),
        {"reason": str(LeadStatus.CANNOT_CONTACT), "description": "No answer"},
    )
    assert response.url == lead.get_absolute_url()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CANNOT_CONTACT


@pytest.mark.parametrize("reason", ["", "3", "1", "99", "lost"])
def test_disqualify_with_a_tampered_reason_is_a_form_error(rep_client, rep, reason):
    lead = factories.LeadFactory(owner_user=rep)
    response = rep_client.post(
        reverse("leads:disqualify", args=[lead.pk]), {"reason": reason}
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_disqualify_refused_for_open_opportunity_is_a_message(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    lead = factories.LeadFactory(owner_user=rep, qualifying_opportunity=opportunity)
    response = rep_client.post(
        reverse("leads:disqualify", args=[lead.pk]), {"reason": "4"}
    )
    assert response.status_code == 302
    assert any("Close the opportunity" in t for t in texts(response))
    lead.refresh_from_db()
    assert lead.is_open


def test_disqualify_a_lead_outside_scope_is_404(rep_client, rep2):
    lead = factories.LeadFactory(owner_user=rep2)
    response = rep_client.post(
        reverse("leads:disqualify", args=[lead.pk]), {"reason": "4"}
    )
    assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.is_open


def test_reactivate_then_reactivate_again_is_a_message_not_an_error(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, disqualified=True)
    url = reverse("leads:reactivate", args=[lead.pk])
    first = rep_client.post(url)
    second = rep_client.post(url, follow=True)
    assert first.status_code == 302
    assert second.status_code == 200
    assert "already open" in second.content.decode()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_reactivate_needs_post(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, disqualified=True)
    assert (
        rep_client.get(reverse("leads:reactivate", args=[lead.pk])).status_code == 405
    )


def test_mark_contacted_double_click(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    url = reverse("leads:mark-contacted", args=[lead.pk])
    rep_client.post(url)
    response = rep_client.post(url, follow=True)
    assert "already marked as contacted" in response.content.decode()


# --- bulk ---------------------------------------------------------------------------


def test_bulk_assign_to_a_user(manager_client, manager, rep):
    leads = factories.LeadFactory.create_batch(3, owner_user=manager)
    response = manager_client.post(
        reverse("leads:bulk"),
        {
            "action": "assign",
            "ids": [lead.pk for lead in leads],
            "owner_user": rep.pk,
            "next": "/leads/?view=open",
        },
    )
    assert response.url == "/leads/?view=open"
    assert Lead.objects.filter(owner_user=rep).count() == 3
    assert LeadAssignment.objects.count() == 3
    assert "3 leads assigned" in texts(response)[0]


def test_bulk_disqualify_reports_refused_leads(manager_client, manager):
    open_lead = factories.LeadFactory(owner_user=manager)
    closed = factories.LeadFactory(owner_user=manager, qualified=True, last_name="Q")
    response = manager_client.post(
        reverse("leads:bulk"),
        {"action": "disqualify", "ids": [open_lead.pk, closed.pk], "reason": "5"},
    )
    messages = texts(response)
    assert "1 lead disqualified" in messages[0]
    assert "already qualified" in messages[1]
    open_lead.refresh_from_db()
    assert open_lead.status == LeadStatus.CANNOT_CONTACT


def test_bulk_with_a_lead_outside_scope_writes_nothing(rep_client, rep, rep2):
    mine = factories.LeadFactory(owner_user=rep)
    foreign = factories.LeadFactory(owner_user=rep2)
    response = rep_client.post(
        reverse("leads:bulk"),
        {"action": "disqualify", "ids": [mine.pk, foreign.pk], "reason": "4"},
    )
    assert response.status_code == 302
    assert not Lead.objects.exclude(state=LeadState.OPEN).exists()
    assert any("not available" in t for t in texts(response))


def test_bulk_disqualify_with_a_tampered_reason_writes_nothing(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    rep_client.post(
        reverse("leads:bulk"), {"action": "disqualify", "ids": [lead.pk], "reason": "3"}
    )
    lead.refresh_from_db()
    assert lead.is_open


def test_bulk_next_cannot_leave_the_site(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    response = rep_client.post(
        reverse("leads:bulk"),
        {
            "action": "disqualify",
            "ids": [lead.pk],
            "reason": "4",
            "next": "https://evil.example/",
        },
    )
    assert response.url == reverse("leads:list")


# --- query counts -------------------------------------------------------------------


def _populate(owner, n):
    campaign = factories.CampaignFactory()
    for _ in range(n):
        lead = factories.LeadFactory(owner_user=owner, campaign=campaign)
    return lead


@pytest.mark.parametrize("n", [10, 100])
def test_list_page_runs_a_constant_number_of_queries(
    rep_client, rep, n, django_assert_max_num_queries
):
    _populate(rep, n)
    with django_assert_max_num_queries(12):
        response = rep_client.get("/leads/?view=all&sort=-value")
    assert len(response.context["leads"]) == min(n, 50)


@pytest.mark.parametrize("n", [10, 100])
def test_detail_page_runs_a_constant_number_of_queries(
    rep_client, rep, n, django_assert_max_num_queries
):
    lead = factories.LeadFactory(owner_user=rep)
    for _ in range(n):
        factories.NoteFactory(lead=lead)
        factories.ActivityFactory(lead=lead, owner=rep)
        factories.LeadProductFactory(lead=lead)
    for _ in range(n // 10):
        # Transition history grows too.
        from leads.services import lifecycle

        lifecycle.disqualify_lead(lead=lead, by=rep, reason=LeadStatus.LOST)
        lifecycle.reactivate_lead(lead=lead, by=rep)
    with django_assert_max_num_queries(21):
        response = rep_client.get(lead.get_absolute_url())
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url", ["/leads/new/", "/accounts/new/", "/opportunities/new/"]
)
def test_empty_choices_read_as_a_dash_not_djangos_placeholder(rep_client, url):
    html = rep_client.get(url).content.decode()
    assert "---------" not in html
    assert '<option value="" selected>—</option>' in html


MARKUP = '<script>alert("x")</script>'


def test_list_rows_show_stored_markup_as_text(rep_client, rep):
    """What a lead's fields hold is shown as text, never run as markup."""
    factories.LeadFactory(
        owner_user=rep,
        first_name=MARKUP,
        last_name="O'Hara",
        subject=MARKUP,
        company_name=MARKUP,
        email="",
    )
    html = rep_client.get(reverse("leads:list")).content
    assert not [s for s in page(html).find_all("script") if "alert" in s.raw_text]
    [row] = table_rows(html, "lead-table")
    name, topic, company, email = row[1:5]
    assert (name, topic, company) == (f"{MARKUP} O'Hara", MARKUP, MARKUP)
    assert email == "—"


def test_list_rows_show_each_column_as_a_rep_reads_it(rep_client, rep, org):
    """Name (linked), topic, company, email, status, score, rating, value, close
    date, owner (a team says so) and creation date; "—" where a value is missing."""
    team = factories.TeamFactory(business_unit=org.north, members=[rep], name="Desk")
    lead = factories.LeadFactory(
        owner_user=rep,
        first_name="Ana",
        last_name="Trujillo",
        subject="Bikes",
        company_name="Trey",
        email="ana@trey.example",
        rating=LeadRating.HOT,
        estimated_value=Decimal("75000"),
        estimated_close_date=datetime.date(2030, 1, 2),
    )
    factories.LeadFactory(
        owner_user=None,
        owner_team=team,
        first_name="",
        last_name="Pool",
        company_name="",
    )
    html = rep_client.get(reverse("leads:list"), {"view": "all"}).content
    rows = {row[1]: row[1:] for row in table_rows(html, "lead-table")}
    created = date_format(timezone.localdate(), "SHORT_DATE_FORMAT")
    assert rows["Ana Trujillo"] == [
        "Ana Trujillo",
        "Bikes",
        "Trey",
        "ana@trey.example",
        "New",
        "—",  # the score: not scored yet
        "Hot",
        "USD 75,000",
        "Jan 2, 2030",
        str(rep),
        created,
    ]
    assert rows["Pool"][2] == "—" and rows["Pool"][9] == "Team Desk"
    table = page(html).find("table", css="lead-table")
    assert ("Ana Trujillo", lead.get_absolute_url()) in links(table)


def test_timeline_items_show_stored_markup_as_text(rep_client, rep):
    """A note's and an activity's texts are shown as text, line breaks kept."""
    lead = factories.LeadFactory(owner_user=rep)
    factories.NoteFactory(lead=lead, title=MARKUP, text=f"{MARKUP}\nsecond line")
    factories.ActivityFactory(lead=lead, subject=MARKUP, description=MARKUP)
    html = rep_client.get(reverse("leads:detail", args=[lead.pk])).content
    timeline = page(html).find("ol", css="timeline")
    assert not timeline.find_all("script")
    assert [s.text for s in timeline.find_all("strong")] == [MARKUP, MARKUP]
    texts = timeline.find_all(css="timeline-text")
    assert [t.raw_text for t in texts] == [MARKUP, f"{MARKUP}second line"]
    assert [len(t.find_all("br")) for t in texts] == [0, 1]
