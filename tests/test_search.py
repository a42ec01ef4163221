"""Global search (/search/): every kind, grouped, only in the user's scope, constant
queries, and the lead list's own lookups."""

import pytest
from django.db import connection, transaction
from django.urls import reverse

from leads.selectors.search import global_search, looks_like_phone
from tests import factories


def _groups(results):
    return {group.kind: group for group in results.groups}


def _world(rep, rep2):
    mine = {
        "lead": factories.LeadFactory(
            owner_user=rep, last_name="Zephyrine", company_name="Quasar Works"
        ),
        "account": factories.AccountFactory(owner_user=rep, name="Zephyrine Holdings"),
        "contact": factories.ContactFactory(owner_user=rep, last_name="Zephyrine"),
        "opportunity": factories.OpportunityFactory(
            owner_user=rep, name="Zephyrine rollout"
        ),
    }
    theirs = {
        "lead": factories.LeadFactory(owner_user=rep2, last_name="Zephyrine"),
        "account": factories.AccountFactory(owner_user=rep2, name="Zephyrine South"),
        "contact": factories.ContactFactory(owner_user=rep2, last_name="Zephyrine"),
        "opportunity": factories.OpportunityFactory(
            owner_user=rep2, name="Zephyrine South deal"
        ),
    }
    return mine, theirs


def test_search_finds_every_kind_in_scope_only(rep, rep2):
    mine, theirs = _world(rep, rep2)
    groups = _groups(global_search(user=rep, q="zephyrine"))
    for kind, record in mine.items():
        assert [row.pk for row in groups[kind].rows] == [record.pk], kind
    for kind, record in theirs.items():
        assert record.pk not in [row.pk for row in groups[kind].rows], kind


def test_search_by_company_email_and_phone(rep):
    lead = factories.LeadFactory(
        owner_user=rep,
        company_name="Brightwater Analytics",
        email="olga@brightwater.example",
        business_phone="+1 555 014 7788",
    )
    for query in ["brightwater analytics", "olga@brightwater", "555 014 7788"]:
        rows = _groups(global_search(user=rep, q=query))["lead"].rows
        assert [row.pk for row in rows] == [lead.pk], query


def test_phone_query_detection():
    assert looks_like_phone("+1 555 014 7788")
    assert looks_like_phone("0171-2233")
    assert not looks_like_phone("Grace")
    assert not looks_like_phone("12")


def test_search_page_groups_results_and_links_to_more(rep_client, rep):
    factories.LeadFactory.create_batch(9, owner_user=rep, company_name="Lumen Labs")
    html = rep_client.get(reverse("leads:search"), {"q": "lumen"}).content.decode()
    assert 'id="results-lead"' in html and 'id="results-account"' in html
    assert "8+" in html
    assert "/leads/?view=all&amp;q=lumen" in html


def test_short_or_empty_query_searches_nothing(
    rep_client, rep, django_assert_max_num_queries
):
    factories.LeadFactory(owner_user=rep, last_name="Ab")
    with django_assert_max_num_queries(8):
        response = rep_client.get(reverse("leads:search"), {"q": "a"})
    assert "at least 2 characters" in response.content.decode()
    assert response.context["results"].groups == []


def test_search_runs_a_constant_number_of_queries(
    rep_client, rep, rep2, django_assert_max_num_queries
):
    _world(rep, rep2)
    factories.LeadFactory.create_batch(20, owner_user=rep, last_name="Zephyrine")
    with django_assert_max_num_queries(14):
        response = rep_client.get(reverse("leads:search"), {"q": "zephyrine"})
    assert response.status_code == 200


def test_search_needs_login(client):
    response = client.get(reverse("leads:search"), {"q": "x"})
    assert response.status_code == 302 and "/login/" in response.url


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only"
)
@pytest.mark.parametrize("column", ["business_phone_digits", "mobile_phone_digits"])
def test_phone_search_can_use_the_trigram_indexes_on_postgresql(db, column):
    """Migration leads 0004_postgresql_search_indexes indexes the phones' digits
    (what a phone query is matched against) for "contains"."""
    from leads.models import Lead

    queryset = Lead.objects.filter(**{f"{column}__contains": "5550147"}).order_by()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()
    assert f"lead_{column}_trgm" in plan
