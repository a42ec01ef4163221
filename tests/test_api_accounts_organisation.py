"""Users, teams, business units and the product catalogue in the REST API: read
only, in the same scope as the pages' pickers, with no emails or login names."""

import pytest
from django.core.cache import cache

from accounts.models import TokenScope
from accounts.services.tokens import create_api_token, revoke_api_token
from tests import factories
from tests.support import snapshot

PROBLEM = "application/problem+json"
LISTS = ["/api/users", "/api/teams", "/api/business-units", "/api/products"]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def north_east(org):
    return factories.BusinessUnitFactory(name="North East", parent=org.north)


@pytest.fixture
def people(org, rep, rep2, manager, administrator, north_east):
    """A team in each region (rep in both), a user below North, an inactive one."""
    north_team = factories.TeamFactory(
        name="North team", business_unit=org.north, members=[rep]
    )
    south_team = factories.TeamFactory(
        name="South team", business_unit=org.south, members=[rep, rep2]
    )
    below = factories.UserFactory(username="ne", business_unit=north_east)
    factories.UserFactory(username="gone", business_unit=org.north, is_active=False)
    return type(
        "People",
        (),
        {"north_team": north_team, "south_team": south_team, "below": below},
    )


def _rows(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _ids(client, url, **params):
    return {row["id"] for row in _rows(client, url, **params)}


@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_users_are_those_the_owner_pickers_offer(
    request, client, org, rep, rep2, manager, administrator, people, who
):
    client.force_login(request.getfixturevalue(who))
    expected = {
        "rep": {rep.pk, manager.pk},
        "manager": {rep.pk, manager.pk, people.below.pk},
        "administrator": {
            rep.pk,
            rep2.pk,
            manager.pk,
            administrator.pk,
            people.below.pk,
        },
    }[who]
    assert _ids(client, "/api/users") == expected


def test_a_user_shows_no_email_and_no_login(rep_client, rep, people):
    row = next(r for r in _rows(rep_client, "/api/users") if r["id"] == rep.pk)
    assert set(row) == {"id", "name", "business_unit", "teams"}
    assert row["name"] == rep.get_full_name()
    assert row["business_unit"] == rep.business_unit_id
    body = rep_client.get(f"/api/users/{rep.pk}").content.decode()
    assert rep.email not in body
    assert f'"{rep.username}"' not in body


def test_a_users_teams_are_those_the_caller_may_pick(client, rep, manager, people):
    client.force_login(rep)
    mine = client.get(f"/api/users/{rep.pk}").json()
    assert set(mine["teams"]) == {people.north_team.pk, people.south_team.pk}
    client.force_login(manager)
    seen = client.get(f"/api/users/{rep.pk}").json()
    assert seen["teams"] == [people.north_team.pk]


@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_teams_and_business_units_by_role(
    request, client, org, people, north_east, who
):
    client.force_login(request.getfixturevalue(who))
    teams = {
        "rep": {people.north_team.pk, people.south_team.pk},
        "manager": {people.north_team.pk},
        "administrator": {people.north_team.pk, people.south_team.pk},
    }[who]
    units = {
        "rep": {org.north.pk},
        "manager": {org.north.pk, north_east.pk},
        "administrator": {org.root.pk, org.north.pk, org.south.pk, north_east.pk},
    }[who]
    assert _ids(client, "/api/teams") == teams
    assert _ids(client, "/api/business-units") == units


def test_rows_outside_the_callers_scope_are_404(manager_client, rep2, org, people):
    for url in (
        f"/api/users/{rep2.pk}",
        f"/api/teams/{people.south_team.pk}",
        f"/api/business-units/{org.south.pk}",
        "/api/users/99999999999999999999",
    ):
        response = manager_client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == PROBLEM


def test_products_are_the_active_catalogue(rep_client):
    sold = factories.ProductFactory(name="Seat", price="12.50")
    retired = factories.ProductFactory(is_active=False)
    rows = _rows(rep_client, "/api/products")
    assert rows == [
        {
            "id": sold.pk,
            "name": "Seat",
            "product_number": sold.product_number,
            "price": "12.50",
            "description": "",
        }
    ]
    assert rep_client.get(f"/api/products/{retired.pk}").status_code == 404


def test_lists_are_ordered_and_paged(rep_client, org):
    for name in ("Charlie", "Alpha", "Bravo"):
        factories.TeamFactory(name=name, business_unit=org.north)
    first = rep_client.get("/api/teams", {"page_size": 2}).json()
    assert [row["name"] for row in first["results"]] == ["Alpha", "Bravo"]
    second = rep_client.get(first["next"]).json()
    assert [row["name"] for row in second["results"]] == ["Charlie"]
    assert second["next"] is None
    backwards = rep_client.get("/api/teams", {"ordering": "-name"}).json()
    assert [row["name"] for row in backwards["results"]] == [
        "Charlie",
        "Bravo",
        "Alpha",
    ]
    response = rep_client.get("/api/teams", {"ordering": "business_unit"})
    assert response.status_code == 400
    assert "ordering" in response.json()["errors"]


def test_fields_on_organisation_lists(rep_client, rep):
    rows = _rows(rep_client, "/api/users", fields="id")
    assert rows == [{"id": rep.pk}]


def test_anonymous_and_refused_tokens_get_401(client, rep):
    token, key = create_api_token(user=rep, name="Sync", by=rep)
    revoke_api_token(token=token, by=rep)
    for url in LISTS:
        for headers in ({}, {"authorization": f"Bearer {key}"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 401, url
            assert response["Content-Type"] == PROBLEM


def test_a_read_only_token_reads_them(client, rep):
    _, key = create_api_token(user=rep, name="Sync", scope=TokenScope.READ, by=rep)
    for url in LISTS:
        response = client.get(url, headers={"authorization": f"Bearer {key}"})
        assert response.status_code == 200, url


def test_they_are_read_only(rep_client, rep, org):
    team = factories.TeamFactory(business_unit=org.north)
    before = snapshot()
    for url in (*LISTS, f"/api/teams/{team.pk}", f"/api/users/{rep.pk}"):
        for method in ("post", "patch", "put", "delete"):
            response = getattr(rep_client, method)(
                url, "{}", content_type="application/json"
            )
            assert response.status_code == 405, (method, url)
    assert snapshot() == before


def _make(kind, org, count):
    for _ in range(count):
        if kind == "users":
            user = factories.UserFactory(business_unit=org.north)
            factories.TeamFactory(business_unit=org.north, members=[user])
        elif kind == "teams":
            factories.TeamFactory(business_unit=org.north)
        elif kind == "business-units":
            factories.BusinessUnitFactory(parent=org.north)
        else:
            factories.ProductFactory()


@pytest.mark.parametrize("kind", ["users", "teams", "business-units", "products"])
def test_list_queries_do_not_grow_with_the_page(
    manager_client, org, django_assert_max_num_queries, kind
):
    _make(kind, org, 5)
    url = f"/api/{kind}"
    with django_assert_max_num_queries(8) as small:
        assert len(manager_client.get(url, {"page_size": 5}).json()["results"]) == 5
    _make(kind, org, 45)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(manager_client.get(url, {"page_size": 50}).json()["results"]) == 50
