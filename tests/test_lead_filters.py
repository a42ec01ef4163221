"""The lead list's saved views, filters, search, sorting and paging; a tampered
filter, page or sort is an error on the page, never a 500."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from leads.models import LeadRating, LeadSource
from leads.views import leads as lead_views
from tests import factories
from tests.support import listed_last_names


def names(response):
    return listed_last_names(response)


@pytest.fixture
def leads_for(manager, rep, org):
    """A spread of leads the manager can see (North unit)."""
    team = factories.TeamFactory(name="Inside sales", business_unit=org.north)
    campaign = factories.CampaignFactory(name="Spring fair")
    days = datetime.timedelta(days=1)
    now = timezone.now()
    return {
        "team": team,
        "campaign": campaign,
        "alpha": factories.LeadFactory(
            owner_user=manager,
            last_name="Alpha",
            company_name="Contoso",
            email="alpha@contoso.example",
            source=LeadSource.WEB,
            rating=LeadRating.HOT,
            estimated_value=Decimal("300"),
            estimated_close_date=datetime.date(2030, 1, 10),
            created_at=now - 10 * days,
        ),
        "bravo": factories.LeadFactory(
            owner_user=rep,
            last_name="Bravo",
            company_name="Fabrikam",
            source=LeadSource.TRADE_SHOW,
            rating=LeadRating.COLD,
            campaign=campaign,
            estimated_value=Decimal("100"),
            estimated_close_date=datetime.date(2030, 3, 1),
            created_at=now - 5 * days,
            contacted=True,
        ),
        "charlie": factories.LeadFactory(
            owner_user=None,
            owner_team=team,
            last_name="Charlie",
            company_name="Northwind",
            estimated_value=Decimal("200"),
            created_at=now - 1 * days,
        ),
        "delta": factories.LeadFactory(
            owner_user=manager,
            last_name="Delta",
            company_name="Contoso",
            disqualified=True,
            created_at=now - 2 * days,
        ),
        "echo": factories.LeadFactory(
            owner_user=rep,
            last_name="Echo",
            qualified=True,
            created_at=now - 3 * days,
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Alpha"]),
        ("?view=mine", ["Alpha"]),
        ("?view=open", ["Charlie", "Bravo", "Alpha"]),
        ("?view=closed", ["Delta", "Echo"]),
        ("?view=unassigned", ["Charlie"]),
        ("?view=all", ["Charlie", "Delta", "Echo", "Bravo", "Alpha"]),
        ("?view=bogus", ["Alpha"]),
    ],
)
def test_saved_views(manager_client, leads_for, query, expected):
    assert names(manager_client.get(f"/leads/{query}")) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=2", ["Delta"]),
        ("status=2", ["Bravo"]),
        ("source=7", ["Bravo"]),
        ("rating=1", ["Alpha"]),
        ("rating=3", ["Bravo"]),
        ("q=contoso", ["Delta", "Alpha"]),
        ("q=ALPHA@contoso", ["Alpha"]),
        ("q=brav", ["Bravo"]),
        ("q=delta contoso", ["Delta"]),
        ("close_after=2030-02-01", ["Bravo"]),
        ("close_before=2030-02-01", ["Alpha"]),
    ],
)
def test_field_filters_and_search(manager_client, leads_for, query, expected):
    assert names(manager_client.get(f"/leads/?view=all&{query}")) == expected


def test_owner_team_and_campaign_filters(manager_client, leads_for, rep):
    get = manager_client.get
    assert names(get(f"/leads/?view=all&owner={rep.pk}")) == ["Echo", "Bravo"]
    assert names(get(f"/leads/?view=all&team={leads_for['team'].pk}")) == ["Charlie"]
    campaign = leads_for["campaign"].pk
    assert names(get(f"/leads/?view=all&campaign={campaign}")) == ["Bravo"]


def test_business_unit_filter(manager_client, leads_for, org):
    assert (
        len(names(manager_client.get(f"/leads/?view=all&business_unit={org.north.pk}")))
        == 5
    )
    response = manager_client.get(f"/leads/?view=all&business_unit={org.south.pk}")
    assert names(response) == []
    assert "business_unit" in response.context["filter"].form.errors


def test_created_range(manager_client, leads_for):
    start = (timezone.now() - datetime.timedelta(days=4)).date().isoformat()
    end = (timezone.now() - datetime.timedelta(days=2)).date().isoformat()
    response = manager_client.get(
        f"/leads/?view=all&created_after={start}&created_before={end}"
    )
    assert names(response) == ["Delta", "Echo"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("value", ["Bravo", "Charlie", "Alpha"]),
        ("-value", ["Alpha", "Charlie", "Bravo"]),
        ("name", ["Alpha", "Bravo", "Charlie"]),
        ("-company", ["Charlie", "Bravo", "Alpha"]),
        ("created", ["Alpha", "Bravo", "Charlie"]),
        ("rating", ["Alpha", "Charlie", "Bravo"]),
    ],
)
def test_sorting(manager_client, leads_for, sort, expected):
    assert names(manager_client.get(f"/leads/?view=open&sort={sort}")) == expected


def test_sorting_on_an_unlisted_column_is_ignored(manager_client, leads_for):
    response = manager_client.get("/leads/?view=open&sort=description")
    assert response.status_code == 200
    assert names(response) == ["Charlie", "Bravo", "Alpha"]


def test_an_owner_outside_the_managers_unit_is_a_filter_error(
    manager_client, leads_for, rep2
):
    response = manager_client.get(f"/leads/?view=all&owner={rep2.pk}")
    assert response.status_code == 200
    assert "owner" in response.context["filter"].form.errors
    assert names(response) == []


def test_rep_sees_only_own_and_team_leads_in_every_view(rep_client, rep, leads_for):
    leads_for["team"].members.add(rep)
    assert names(rep_client.get("/leads/?view=all")) == ["Charlie", "Echo", "Bravo"]


def test_filters_survive_in_paging_and_sort_links(manager_client, manager, monkeypatch):
    monkeypatch.setattr(lead_views, "PAGE_SIZE", 2)
    factories.LeadFactory.create_batch(5, owner_user=manager, source=LeadSource.WEB)
    factories.LeadFactory(owner_user=manager, source=LeadSource.SEMINAR)
    first = manager_client.get("/leads/?view=open&source=8")
    html = first.content.decode()
    assert "?view=open&amp;source=8&amp;page=2" in html
    assert "1–2 of 5" in html
    second = manager_client.get("/leads/?view=open&source=8&page=2")
    third = manager_client.get("/leads/?view=open&source=8&page=3")
    seen = [lead.pk for r in (first, second, third) for lead in r.context["leads"]]
    assert len(seen) == len(set(seen)) == 5
    assert not third.context["page"].has_next
    assert "view=open&amp;source=8&amp;sort=name" in html


@pytest.mark.parametrize("sort", ["", "name", "-value"])
def test_deep_pages_show_the_same_rows_as_near_ones(
    manager_client, manager, monkeypatch, sort
):
    """Past DEFERRED_JOIN_OFFSET the page's ids are picked first, then joined: the
    pages must still tile the list in order, with nothing repeated or skipped."""
    from leadsite.core import pagination

    monkeypatch.setattr(lead_views, "PAGE_SIZE", 3)
    monkeypatch.setattr(pagination, "DEFERRED_JOIN_OFFSET", 3)
    factories.LeadFactory.create_batch(8, owner_user=manager)
    expected = [
        lead.pk
        for lead in manager_client.get(f"/leads/?view=all&sort={sort}")
        .context["filter"]
        .qs
    ]
    seen = []
    for number in (1, 2, 3):
        page = manager_client.get(f"/leads/?view=all&sort={sort}&page={number}")
        seen += [lead.pk for lead in page.context["leads"]]
    assert seen == expected
    assert len(expected) == 8
    assert page.context["page"].has_next is False


def test_count_is_capped_never_the_whole_table(manager_client, manager, monkeypatch):
    from leadsite.core import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    factories.LeadFactory.create_batch(5, owner_user=manager)
    response = manager_client.get("/leads/")
    assert response.context["page"].total_capped
    assert "of 3+" in response.content.decode()


def test_a_search_counts_to_a_lower_cap(manager_client, manager, monkeypatch):
    monkeypatch.setattr(lead_views, "SEARCH_COUNT_CAP", 2)
    factories.LeadFactory.create_batch(3, owner_user=manager, last_name="Jones")
    searched = manager_client.get("/leads/?view=all&q=jo")
    assert searched.context["page"].total_capped
    assert "of 2+" in searched.content.decode()
    listed = manager_client.get("/leads/?view=all")
    assert not listed.context["page"].total_capped
    assert "of 3" in listed.content.decode()


def test_a_page_past_the_end_is_empty_not_an_error(manager_client, manager):
    factories.LeadFactory(owner_user=manager)
    response = manager_client.get("/leads/?page=99")
    assert response.status_code == 200
    assert names(response) == []
    response = manager_client.get("/leads/?page=abc")
    assert response.status_code == 200


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only"
)
@pytest.mark.parametrize("column", ["last_name", "first_name", "company_name", "email"])
def test_text_search_can_use_the_trigram_indexes_on_postgresql(db, column):
    """The index expression must match the SQL Django writes for icontains, or a
    million-row search scans the whole table."""
    from leads.models import Lead

    queryset = Lead.objects.filter(**{f"{column}__icontains": "smith"}).order_by()
    with transaction.atomic(), connection.cursor() as cursor:
        # An empty test table makes any plan cheap: leave the planner only bitmap
        # scans, which need an index that can answer the LIKE itself.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()
    assert f"lead_{column}_trgm" in plan


def test_lead_list_shows_an_error_for_a_tampered_filter(rep_client, rep):
    factories.LeadFactory(owner_user=rep)
    response = rep_client.get(reverse("leads:list"), {"owner": "abc"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors
    assert response.context["leads"] == []
    for page in ("-1", "99999", "abc", "99999999999999999999"):
        assert rep_client.get(reverse("leads:list"), {"page": page}).status_code == 200
    response = rep_client.get(reverse("leads:list"), {"sort": "password"})
    assert response.status_code == 200


def test_each_request_builds_its_own_owner_choices(client, rep, rep2, manager):
    """The filters are copied one level per request (leadsite.core.forms
    _BaseFilters) and the form keeps its fields uncopied: one user's owner
    choices never reach the next user's form, and the class's filters build none."""
    from leads.filters import LeadFilter

    seen = {}
    for user in (manager, rep2, manager):
        client.force_login(user)
        response = client.get(reverse("leads:list-filters"), {"view": "open"})
        owners = response.context["form"].fields["owner"].queryset
        seen.setdefault(user.username, []).append(set(owners))
    assert seen["manager"][0] == seen["manager"][1]
    assert rep in seen["manager"][0] and rep2 not in seen["manager"][0]
    assert seen["rep2"][0] != seen["manager"][0]
    assert rep not in seen["rep2"][0]
    assert all("_field" not in f.__dict__ for f in LeadFilter.base_filters.values())
