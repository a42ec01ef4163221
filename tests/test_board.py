"""The lead board (/leads/board/): open leads in columns by status reason, moves
through the lifecycle services with the card's version, capped columns and a
constant number of queries."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_fsm_log.models import StateLog

from accounts.permissions import SALES_REP
from leads.models import ActivityState, Lead, LeadState, LeadStatus
from leads.selectors import board as board_selectors
from leads.services.lifecycle import update_lead
from tests import factories
from tests.reading import page
from tests.support import ensure_roles, on_postgresql, run_together

pytestmark = pytest.mark.django_db

BOARD = "/leads/board/"
JSON = {"HTTP_ACCEPT": "application/json"}


def _column(html, status):
    """The names on the cards of one column, top to bottom."""
    column = page(html).find("ol", css="board-cards", **{"data-column": str(status)})
    return [a.text for a in column.find_all("a", css="board-card-name")]


def _count(html, status):
    section = page(html).find("section", **{"data-column": str(status)})
    return section.find(css="board-count").text


def _state():
    """Every lead row and the transition log, to show a refused move wrote nothing."""
    return (
        list(Lead.objects.order_by("pk").values()),
        list(StateLog.objects.order_by("pk").values()),
    )


def _move(client, lead, to, version=None, **extra):
    data = {"to": to, "version": lead.version if version is None else version}
    return client.post(reverse("leads:board-move", args=[lead.pk]), data, **extra)


def test_board_shows_open_leads_in_their_columns_with_counts(rep_client, rep):
    factories.LeadFactory(owner_user=rep, first_name="Ann", last_name="New")
    factories.LeadFactory(
        owner_user=rep, first_name="Cy", last_name="Called", contacted=True
    )
    factories.LeadFactory(owner_user=rep, last_name="Gone", disqualified=True)
    html = rep_client.get(BOARD).content.decode()
    assert _column(html, LeadStatus.NEW) == ["Ann New"]
    assert _column(html, LeadStatus.CONTACTED) == ["Cy Called"]
    assert "Gone" not in html
    assert (_count(html, 1), _count(html, 2)) == ("1", "1")
    # Qualify and Disqualify are drop zones, and the list links here.
    assert 'data-target="qualify"' in html and 'data-target="disqualified"' in html
    assert BOARD in rep_client.get("/leads/").content.decode()


def test_card_shows_company_score_owner_age_and_next_activity(rep_client, rep):
    lead = factories.LeadFactory(
        owner_user=rep, last_name="Ng", company_name="Fabrikam"
    )
    factories.ActivityFactory(lead=lead, owner=rep, subject="Call back")
    factories.ActivityFactory(
        lead=lead, owner=rep, subject="Old call", state=ActivityState.COMPLETED
    )
    card = page(rep_client.get(BOARD).content).find("li", css="board-card")
    text = card.text
    assert "Fabrikam" in text
    assert str(rep.get_full_name() or rep.username) in text
    assert "old" in card.find(css="board-card-age").text
    assert card.find(css="board-card-next").text.startswith("Next: Call back")
    assert "Old call" not in text


def test_filters_narrow_the_board_like_the_list(manager_client, rep, org):
    web = factories.LeadFactory(owner_user=rep, last_name="Webby", source=8)
    factories.LeadFactory(owner_user=rep, last_name="Fair", source=7)
    html = manager_client.get(BOARD, {"view": "open", "source": 8}).content.decode()
    assert _column(html, LeadStatus.NEW) == [web.full_name]
    assert "Lead source" in html or "Source" in html


def test_rep_sees_only_their_scope(rep_client, rep2):
    factories.LeadFactory(owner_user=rep2, last_name="Elsewhere")
    html = rep_client.get(BOARD, {"view": "open"}).content.decode()
    assert "Elsewhere" not in html


def test_columns_are_capped_with_show_more(rep_client, rep, monkeypatch):
    monkeypatch.setattr(board_selectors, "COLUMN_SIZE", 3)
    for i in range(5):
        factories.LeadFactory(owner_user=rep, first_name="", last_name=f"L{i}")
    html = rep_client.get(BOARD).content.decode()
    assert len(_column(html, LeadStatus.NEW)) == 3
    assert _count(html, 1) == "5"
    more = page(html).find("li", css="board-more").find("a")
    rest = rep_client.get(more.attrs["hx-get"], HTTP_HX_REQUEST="true")
    names = [a.text for a in page(rest.content).find_all("a", css="board-card-name")]
    assert names == ["L1", "L0"]


def test_count_stops_at_the_cap(rep_client, rep, monkeypatch):
    monkeypatch.setattr(board_selectors, "BOARD_COUNT_CAP", 2)
    for _ in range(4):
        factories.LeadFactory(owner_user=rep)
    assert _count(rep_client.get(BOARD).content.decode(), 1) == "2+"


def test_board_queries_are_constant(
    rep_client, rep, django_assert_max_num_queries, monkeypatch
):
    def queries_for(n):
        for _ in range(n):
            lead = factories.LeadFactory(owner_user=rep)
            factories.ActivityFactory(lead=lead, owner=rep)
        factories.LeadFactory(owner_user=rep, contacted=True)
        with CaptureQueriesContext(connection) as captured:
            assert rep_client.get(BOARD).status_code == 200
        return len(captured)

    few = queries_for(2)
    many = queries_for(60)
    assert few == many
    with django_assert_max_num_queries(few):
        rep_client.get(BOARD)


# --- moves -------------------------------------------------------------------------


def test_move_to_contacted_calls_the_transition(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    response = _move(rep_client, lead, "contacted", **JSON)
    assert response.status_code == 200
    answer = response.json()
    assert answer["ok"] and answer["message"] == "Lead marked as contacted."
    fresh = Lead.objects.get(pk=lead.pk)
    assert fresh.status == LeadStatus.CONTACTED
    assert answer["column"] == str(LeadStatus.CONTACTED)
    assert answer["version"] == fresh.version == lead.version + 1
    log = StateLog.objects.get(object_id=lead.pk)
    assert (log.transition, log.by) == ("mark_contacted", rep)


def test_disqualify_needs_a_reason_and_records_it(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    response = _move(rep_client, lead, "disqualified", **JSON)
    # Without a reason (the menu without JavaScript): the lead's disqualify page.
    assert response.url == reverse("leads:disqualify", args=[lead.pk])
    response = _move_with(
        rep_client, lead, "disqualified", reason=int(LeadStatus.CANNOT_CONTACT)
    )
    assert response.json()["ok"] and response.json()["closed"]
    fresh = Lead.objects.get(pk=lead.pk)
    assert (fresh.state, fresh.status) == (
        LeadState.DISQUALIFIED,
        LeadStatus.CANNOT_CONTACT,
    )


def _move_with(client, lead, to, **data):
    body = {"to": to, "version": lead.version, **data}
    return client.post(reverse("leads:board-move", args=[lead.pk]), body, **JSON)


def test_disqualify_with_reason_in_the_post(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    answer = _move_with(
        rep_client, lead, "disqualified", reason=int(LeadStatus.LOST)
    ).json()
    assert answer == {
        "ok": True,
        "message": "Lead disqualified.",
        "column": None,
        "closed": True,
        "version": lead.version + 1,
    }


def test_qualify_drop_goes_to_the_qualify_page(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    response = _move(rep_client, lead, "qualify")
    assert response.url == reverse("leads:qualify", args=[lead.pk])
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_refused_move_changes_nothing_and_says_why(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, contacted=True)
    before = _state()
    response = _move(rep_client, lead, "contacted", **JSON)
    assert response.status_code == 409
    answer = response.json()
    assert not answer["ok"]
    # The lead page's own sentence (leads.services.lifecycle.mark_contacted).
    assert answer["message"] == "This lead is already marked as contacted."
    assert answer["column"] == str(LeadStatus.CONTACTED)
    assert _state() == before


def test_stale_card_is_refused_with_the_pages_message(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    update_lead(lead=lead, by=rep, subject="Changed meanwhile")
    before = _state()
    response = _move(rep_client, lead, "contacted", version=lead.version, **JSON)
    assert response.status_code == 409
    assert response.json()["message"] == (
        "This lead changed while you were looking at it. Here is its current state."
    )
    assert _state() == before


def test_plain_form_post_moves_and_returns_to_the_board(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    response = _move(rep_client, lead, "contacted", follow=True)
    assert response.redirect_chain[-1][0] == reverse("leads:board")
    assert "Lead marked as contacted." in response.content.decode()
    refused = _move(rep_client, lead, "contacted", follow=True).content.decode()
    assert "This lead changed while you were looking at it." in refused


def test_lead_outside_scope_is_404(rep_client, rep2):
    lead = factories.LeadFactory(owner_user=rep2)
    assert _move(rep_client, lead, "contacted").status_code == 404
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_a_role_without_the_transition_is_refused(client, org):
    ensure_roles()
    viewer = factories.UserFactory(business_unit=org.north)
    lead = factories.LeadFactory(owner_user=viewer)
    client.force_login(viewer)
    html = client.get(BOARD).content.decode()
    assert "data-readonly" in html and "data-move-form" not in html
    answer = _move(client, lead, "contacted", **JSON).json()
    assert not answer["ok"]
    assert "not allowed" in answer["message"]
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_every_role_sees_the_board(client, rep, manager, administrator):
    for user in (rep, manager, administrator):
        client.force_login(user)
        for view in ("mine", "open", "unassigned", "bogus"):
            assert client.get(BOARD, {"view": view}).status_code == 200


@on_postgresql
def test_two_users_moving_the_same_card_one_wins_the_other_sees_why():
    unit = factories.BusinessUnitFactory(name="North")
    ensure_roles()
    group = Group.objects.get(name=SALES_REP)
    team = factories.TeamFactory(business_unit=unit)
    clients = []
    for name in ("ann", "bob"):
        user = factories.UserFactory(username=name, business_unit=unit)
        user.groups.add(group)
        team.members.add(user)
        client = Client()
        client.force_login(user)
        clients.append(client)
    lead = factories.LeadFactory(owner_user=None, owner_team=team)
    outcomes = run_together(
        lambda: _move(clients[0], lead, "contacted", **JSON),
        lambda: _move_with(
            clients[1], lead, "disqualified", reason=int(LeadStatus.LOST)
        ),
    )
    answers = [response.json() for _, response in outcomes]
    assert sorted(a["ok"] for a in answers) == [False, True]
    [loser] = [a for a in answers if not a["ok"]]
    assert loser["message"] == (
        "This lead changed while you were looking at it. Here is its current state."
    )
    fresh = Lead.objects.get(pk=lead.pk)
    assert fresh.version == lead.version + 1
    assert StateLog.objects.filter(object_id=lead.pk).count() == 1
