"""Short searches: one or two letters match the start of a name or company, through
indexes (a trigram index cannot serve a pattern that short)."""

import pytest
from django.db import connection, transaction

from leads.models import Lead
from tests import factories
from tests.support import listed_last_names

pytestmark = pytest.mark.django_db


def names(response):
    return sorted(listed_last_names(response))


def test_a_two_letter_search_matches_the_start_of_names_and_companies(
    manager_client, manager
):
    for last, first, company in [
        ("Johnson", "Ann", "Acme"),
        ("Miller", "Jolene", "Acme"),
        ("Baker", "Tom", "Jones Ltd"),
        ("Bjornsson", "Kim", "Majo GmbH"),  # "jo" inside a word: no match
    ]:
        factories.LeadFactory(
            owner_user=manager, last_name=last, first_name=first, company_name=company
        )
    response = manager_client.get("/leads/?view=all&q=jo")
    assert names(response) == ["Baker", "Johnson", "Miller"]
    # Three letters and more still match anywhere in the word.
    assert names(manager_client.get("/leads/?view=all&q=orn")) == ["Bjornsson"]
    assert names(manager_client.get("/leads/?view=all&q=J")) == [
        "Baker",
        "Johnson",
        "Miller",
    ]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prefix indexes exist on PostgreSQL only"
)
@pytest.mark.parametrize("column", ["last_name", "first_name", "company_name"])
def test_prefix_search_can_use_the_prefix_indexes_on_postgresql(column):
    queryset = Lead.objects.filter(**{f"{column}__istartswith": "jo"}).order_by()
    with transaction.atomic(), connection.cursor() as cursor:
        # An empty test table makes any plan cheap: leave only bitmap scans.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()
    assert f"lead_{column}_prefix" in plan or f"lead_{column}_trgm" in plan


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only"
)
def test_the_admin_search_on_the_topic_can_use_an_index_on_postgresql():
    queryset = Lead.objects.filter(subject__icontains="renewal").order_by()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()
    assert "lead_subject_trgm" in plan
