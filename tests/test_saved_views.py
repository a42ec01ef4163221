"""Saved views of the lead, account, contact and opportunity lists: who may share
with whom, who sees which view, the viewer's own record scope, default views,
renaming and deleting, and what opening a view costs."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import DefaultView, ListKind, SavedView, Visibility
from accounts.permissions import SALES_REP
from accounts.selectors import list_saved_views
from accounts.services.saved_views import (
    clear_default_view,
    delete_saved_view,
    rename_saved_view,
    save_view,
    set_default_view,
)
from leads.models import LeadStatus
from tests import factories
from tests.reading import links, page
from tests.support import listed_last_names, user_in

LISTS = {
    ListKind.LEADS: "/leads/",
    ListKind.ACCOUNTS: "/accounts/",
    ListKind.CONTACTS: "/contacts/",
    ListKind.OPPORTUNITIES: "/opportunities/",
}


@pytest.fixture
def teams(org, rep, manager):
    """North has two teams: the rep's (with the manager) and another one."""
    mine = factories.TeamFactory(
        name="North A", business_unit=org.north, members=[rep, manager]
    )
    other = factories.TeamFactory(name="North B", business_unit=org.north)
    south = factories.TeamFactory(name="South A", business_unit=org.south)
    return type("Teams", (), {"mine": mine, "other": other, "south": south})


@pytest.fixture
def north_b_rep(org, teams):
    user = user_in(SALES_REP, username="north-b-rep", business_unit=org.north)
    teams.other.members.add(user)
    return user


def _names(user, kind=ListKind.LEADS):
    return [view.name for view in list_saved_views(user=user, list_kind=kind)]


def _menu(response):
    menu = page(response.content).find(id="views-menu")
    return {text: href for text, href in links(menu)}


def _lead_names(response):
    return sorted(listed_last_names(response))


# --- who may share with whom (enforced in the service) -------------------------------


def test_rep_saves_personal_views_only(rep, teams, org):
    view = save_view(by=rep, list_kind="leads", name="Hot", query="rating=1")
    assert (view.visibility, view.owner) == (Visibility.PERSONAL, rep)
    for sharing in (
        {"visibility": Visibility.TEAM, "team": teams.mine},
        {"visibility": Visibility.BUSINESS_UNIT, "business_unit": org.north},
        {"visibility": Visibility.EVERYONE},
    ):
        with pytest.raises(PermissionDenied):
            save_view(by=rep, list_kind="leads", name="Shared", query="", **sharing)
    assert _names(rep) == ["Hot"]


def test_manager_shares_with_a_team_or_unit_of_their_scope_only(manager, teams, org):
    save_view(
        by=manager, list_kind="leads", name="Team", query="", visibility="team",
        team=teams.other,
    )  # fmt: skip
    save_view(
        by=manager, list_kind="leads", name="Unit", query="", visibility="unit",
        business_unit=org.north,
    )  # fmt: skip
    refused = [
        {"visibility": Visibility.TEAM, "team": teams.south},
        {"visibility": Visibility.BUSINESS_UNIT, "business_unit": org.south},
        {"visibility": Visibility.BUSINESS_UNIT, "business_unit": org.root},
        {"visibility": Visibility.EVERYONE},
    ]
    for sharing in refused:
        with pytest.raises(PermissionDenied):
            save_view(by=manager, list_kind="leads", name="No", query="", **sharing)
    assert _names(manager) == ["Team", "Unit"]


def test_administrator_shares_with_everyone(administrator, rep, rep2):
    save_view(
        by=administrator, list_kind="leads", name="All", query="view=all",
        visibility="everyone",
    )  # fmt: skip
    assert _names(rep) == _names(rep2) == ["All"]


def test_a_second_view_of_the_same_name_is_refused(rep):
    save_view(by=rep, list_kind="leads", name="Hot", query="rating=1")
    with pytest.raises(ValidationError, match="already have a view of this name"):
        save_view(by=rep, list_kind="leads", name="Hot", query="rating=2")
    # Another list may have its own "Hot".
    save_view(by=rep, list_kind="accounts", name="Hot", query="")


# --- who sees which view ---------------------------------------------------------------


def test_views_are_seen_by_the_people_they_are_shared_with(
    rep, rep2, manager, north_b_rep, teams, org
):
    save_view(by=rep, list_kind="leads", name="Rep's own", query="")
    save_view(
        by=manager, list_kind="leads", name="Team A", query="", visibility="team",
        team=teams.mine,
    )  # fmt: skip
    save_view(
        by=manager, list_kind="leads", name="North", query="", visibility="unit",
        business_unit=org.north,
    )  # fmt: skip
    north_east = factories.BusinessUnitFactory(name="North East", parent=org.north)
    ne_rep = user_in(SALES_REP, username="ne-rep", business_unit=north_east)
    assert _names(rep) == ["North", "Rep's own", "Team A"]
    assert _names(north_b_rep) == ["North"]
    assert _names(ne_rep) == ["North"]
    assert _names(rep2) == []
    assert _names(manager) == ["North", "Team A"]
    assert _names(rep, ListKind.ACCOUNTS) == []


def test_a_team_view_is_404_for_a_rep_of_another_team(
    client, manager, north_b_rep, teams
):
    view = save_view(
        by=manager, list_kind="leads", name="Team A", query="view=all",
        visibility="team", team=teams.mine,
    )  # fmt: skip
    client.force_login(north_b_rep)
    assert (
        client.get(reverse("accounts:saved-view-open", args=[view.pk])).status_code
        == 404
    )
    assert "Team A" not in _menu(client.get("/leads/?view=all"))


# --- a view never shows more than its viewer's scope -----------------------------------


def test_a_shared_view_shows_each_viewer_only_their_own_scope(
    client, administrator, manager, rep, rep2, teams
):
    north_colleague = user_in(
        SALES_REP, username="north-colleague", business_unit=rep.business_unit
    )
    factories.LeadFactory(owner_user=rep, last_name="Rep-lead")
    factories.LeadFactory(owner_user=north_colleague, last_name="Colleague-lead")
    factories.LeadFactory(owner_user=rep2, last_name="South-lead")
    view = save_view(
        by=administrator, list_kind="leads", name="Every lead", query="view=all",
        visibility="everyone",
    )  # fmt: skip

    seen = {}
    for user in (administrator, manager, rep, rep2):
        client.force_login(user)
        url = _menu(client.get("/leads/"))["Every lead"]
        seen[user.username] = _lead_names(client.get(url))
        # The view's own address opens the same list.
        opened = client.get(reverse("accounts:saved-view-open", args=[view.pk]))
        assert opened.url == url
    assert seen == {
        "administrator": ["Colleague-lead", "Rep-lead", "South-lead"],
        "manager": ["Colleague-lead", "Rep-lead"],
        "rep": ["Rep-lead"],
        "rep2": ["South-lead"],
    }


def test_a_managers_view_naming_a_colleague_shows_a_rep_nothing_of_theirs(
    client, manager, rep, teams
):
    """Filtering by an owner outside the viewer's scope is refused, not widened."""
    colleague = user_in(
        SALES_REP, username="colleague", business_unit=rep.business_unit
    )
    factories.LeadFactory(owner_user=colleague, last_name="Colleague-lead")
    save_view(
        by=manager, list_kind="leads", name="Colleague's", visibility="team",
        team=teams.mine, query=f"view=all&owner={colleague.pk}",
    )  # fmt: skip
    client.force_login(manager)
    assert _lead_names(client.get(_menu(client.get("/leads/"))["Colleague's"])) == [
        "Colleague-lead"
    ]
    client.force_login(rep)
    assert _lead_names(client.get(_menu(client.get("/leads/"))["Colleague's"])) == []


# --- default views ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ListKind))
def test_a_list_opened_without_a_query_opens_the_default_view(rep_client, rep, kind):
    assert rep_client.get(LISTS[kind]).status_code == 200
    view = save_view(by=rep, list_kind=kind, name="Mine", query="mine=on&q=a")
    set_default_view(view=view, by=rep)
    response = rep_client.get(LISTS[kind])
    assert (response.status_code, response.url) == (302, f"{LISTS[kind]}?mine=on&q=a")
    # A query of any kind (a system view, a page) is taken as it is.
    assert rep_client.get(LISTS[kind], {"page": "1"}).status_code == 200
    clear_default_view(list_kind=kind, by=rep)
    assert rep_client.get(LISTS[kind]).status_code == 200


def test_make_default_on_saving_and_one_default_per_list(rep_client, rep):
    first = save_view(
        by=rep, list_kind="leads", name="A", query="rating=1", make_default=True
    )
    second = save_view(
        by=rep, list_kind="leads", name="B", query="rating=2", make_default=True
    )
    assert DefaultView.objects.get(user=rep, list_kind="leads").view == second
    assert rep_client.get("/leads/").url == "/leads/?rating=2"
    delete_saved_view(view=second, by=rep)
    assert rep_client.get("/leads/").status_code == 200
    assert first.pk and not DefaultView.objects.filter(user=rep).exists()


def test_a_shared_view_can_be_a_users_default_until_it_is_unshared(
    client, manager, rep, teams
):
    view = save_view(
        by=manager, list_kind="leads", name="Team", query="view=open",
        visibility="team", team=teams.mine,
    )  # fmt: skip
    client.force_login(rep)
    response = client.post(reverse("accounts:saved-view-default", args=[view.pk]))
    assert response.status_code == 302
    assert client.get("/leads/").url == "/leads/?view=open"
    teams.mine.members.remove(rep)
    assert client.get("/leads/").status_code == 200


# --- renaming, deleting; someone else's view is missing -------------------------------


def test_rename_and_delete_own_views_on_the_manage_page(rep_client, rep):
    view = save_view(by=rep, list_kind="contacts", name="Old", query="city=Paris")
    listing = rep_client.get(reverse("accounts:saved-views"), {"list": "contacts"})
    assert "Old" in page(listing.content).find(id="views-contacts").text
    rep_client.post(
        reverse("accounts:saved-view-rename", args=[view.pk]), {"name": "New"}
    )
    assert _names(rep, ListKind.CONTACTS) == ["New"]
    rep_client.post(reverse("accounts:saved-view-delete", args=[view.pk]))
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_someone_elses_personal_view_is_404(client, rep, rep2, manager, teams):
    private = save_view(by=rep2, list_kind="leads", name="Private", query="")
    shared = save_view(
        by=manager, list_kind="leads", name="Shared", query="", visibility="team",
        team=teams.mine,
    )  # fmt: skip
    client.force_login(rep)
    for name in ("saved-view-open",):
        assert (
            client.get(reverse(f"accounts:{name}", args=[private.pk])).status_code
            == 404
        )
    for name in ("saved-view-rename", "saved-view-delete", "saved-view-default"):
        url = reverse(f"accounts:{name}", args=[private.pk])
        assert client.post(url, {"name": "Mine now"}).status_code == 404
    # A view shared with the rep opens, but only its owner renames or deletes it.
    for name in ("saved-view-rename", "saved-view-delete"):
        url = reverse(f"accounts:{name}", args=[shared.pk])
        assert client.post(url, {"name": "Mine now"}).status_code == 404
    assert SavedView.objects.get(pk=private.pk).name == "Private"
    assert SavedView.objects.get(pk=shared.pk).name == "Shared"
    with pytest.raises(PermissionDenied):
        rename_saved_view(view=shared, name="Mine now", by=rep)


# --- saving from a list --------------------------------------------------------------


def test_saving_keeps_the_lists_own_parameters_only(rep_client, rep):
    query = "view=open&status=1&created_after=2026-01-01&page=3&utm=x&sort=-created"
    save_url = _menu(rep_client.get(f"/leads/?{query}"))["Save view…"]
    assert save_url == f"/leads/views/new/?{query.replace('&page=3', '')}"
    form = rep_client.get(save_url)
    assert "Status reason" in page(form.content).find(id="kept-filters").text
    assert page(form.content).find(id="only-you")
    response = rep_client.post(
        save_url, {"name": "Open, new", "share_with": "personal", "query": query}
    )
    view = SavedView.objects.get(owner=rep)
    assert view.query == "created_after=2026-01-01&sort=-created&status=1&view=open"
    assert response.url == f"/leads/?{view.query}"
    assert _menu(rep_client.get(response.url))["Open, new"] == response.url


def test_the_save_form_offers_only_what_the_user_may_share_with(
    client, manager, administrator, teams, org
):
    client.force_login(manager)
    html = client.get(reverse("accounts:view-create", args=["opportunities"])).content
    choices = [
        o.text for o in page(html).find("select", name="share_with").find_all("option")
    ]
    assert choices == ["Only me", "Team North A", "Team North B", "North and below"]
    refused = client.post(
        reverse("accounts:view-create", args=["opportunities"]),
        {"name": "X", "share_with": "everyone", "query": "state=1"},
    )
    assert refused.status_code == 200 and not SavedView.objects.exists()
    client.force_login(administrator)
    html = client.get(reverse("accounts:view-create", args=["accounts"])).content
    assert "Everyone" in page(html).find("select", name="share_with").text


def test_the_same_name_twice_is_a_form_error(rep_client, rep):
    save_view(by=rep, list_kind="accounts", name="Hot", query="")
    response = rep_client.post(
        reverse("accounts:view-create", args=["accounts"]),
        {"name": "Hot", "share_with": "personal", "query": "mine=on"},
    )
    assert response.status_code == 200
    assert "already have a view of this name" in response.content.decode()


# --- the menu on every list, and what it costs -----------------------------------------


@pytest.mark.parametrize("role", ["rep", "manager", "administrator"])
@pytest.mark.parametrize("kind", list(ListKind))
def test_every_list_has_the_views_menu(client, request, role, kind, teams):
    user = request.getfixturevalue(role)
    save_view(by=user, list_kind=kind, name="Saved one", query="q=")
    client.force_login(user)
    menu = _menu(client.get(LISTS[kind]))
    assert "Saved one" in menu and "Save view…" in menu and "Manage views" in menu
    system = {
        ListKind.LEADS: "My open leads",
        ListKind.ACCOUNTS: "My accounts",
        ListKind.CONTACTS: "My contacts",
        ListKind.OPPORTUNITIES: "Won",
    }[kind]
    assert client.get(menu[system]).status_code == 200
    assert client.get(menu["Save view…"]).status_code == 200
    assert client.get(menu["Manage views"]).status_code == 200


@pytest.mark.parametrize("kind", list(ListKind))
def test_opening_a_saved_view_costs_what_the_same_url_costs(
    rep_client, rep, kind, django_assert_num_queries, django_assert_max_num_queries
):
    factories.LeadFactory.create_batch(3, owner_user=rep, status=LeadStatus.CONTACTED)
    factories.OpportunityFactory.create_batch(3, owner_user=rep)
    query = {
        ListKind.LEADS: "sort=name&status=2&view=open",
        ListKind.ACCOUNTS: "mine=on&q=a",
        ListKind.CONTACTS: "city=a&mine=on",
        ListKind.OPPORTUNITIES: "mine=on&state=0",
    }[kind]
    save_view(by=rep, list_kind=kind, name="Saved", query=query)
    url = f"{LISTS[kind]}?{query}"
    rep_client.get(url)
    with django_assert_max_num_queries(100) as typed:
        rep_client.get(url)
    # Read now: each request clears the connection's query log.
    typed_count = len(typed)
    opened_url = _menu(rep_client.get(LISTS[kind] + "?page=1"))["Saved"]
    assert opened_url == url
    with django_assert_num_queries(typed_count):
        response = rep_client.get(opened_url)
    assert response.status_code == 200


def test_the_menu_costs_the_same_for_two_or_twenty_views(
    rep_client, rep, administrator, django_assert_max_num_queries
):
    for n in range(2):
        save_view(by=rep, list_kind="leads", name=f"Mine {n}", query=f"q={n}")
    with django_assert_max_num_queries(100) as few:
        rep_client.get("/leads/")
    few_count = len(few)
    for n in range(2, 20):
        save_view(by=rep, list_kind="leads", name=f"Mine {n}", query=f"q={n}")
        save_view(
            by=administrator, list_kind="leads", name=f"All {n}", query="",
            visibility="everyone",
        )  # fmt: skip
    with django_assert_max_num_queries(few_count):
        response = rep_client.get("/leads/")
    assert len(_menu(response)) > 36
