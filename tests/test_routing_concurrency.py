"""Routing under a race, on real concurrent PostgreSQL connections: round-robin
turns are never shared and least-loaded never overfills a capacity."""

import collections

import pytest
from django.db import connection

from leads.models import Lead, LeadAssignment, LeadSource
from leads.services.lifecycle import create_lead
from leads.services.routing import route_lead
from tests import factories
from tests.test_lead_concurrency import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite has no row locks or concurrent writers",
    ),
]

WEB = [{"field": "source", "op": "equals", "value": int(LeadSource.WEB)}]


@pytest.fixture
def setup():
    unit = factories.BusinessUnitFactory(name="North")
    creator = factories.UserFactory(username="creator", business_unit=unit)
    members = [
        factories.UserFactory(username=name, business_unit=unit)
        for name in ("ann", "bob", "cat")
    ]
    team = factories.TeamFactory(business_unit=unit, members=members)
    return creator, team, members


def test_thirty_concurrent_leads_give_exactly_ten_each(setup):
    creator, team, members = setup
    factories.RoutingRuleFactory(
        name="Web round robin", conditions=WEB, target_user=None, target_team=team
    )
    leads = [
        factories.LeadFactory(
            owner_user=creator, business_unit=creator.business_unit, source=8
        )
        for _ in range(30)
    ]
    outcomes = run_together(
        *[
            lambda lead=lead: route_lead(lead=lead, by=creator, trigger="import")
            for lead in leads
        ]
    )
    assert [kind for kind, _ in outcomes] == ["ok"] * 30, outcomes
    counts = collections.Counter(
        Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list(
            "owner_user", flat=True
        )
    )
    assert counts == {m.pk: 10 for m in members}
    assert LeadAssignment.objects.count() == 30


def test_concurrent_creates_route_fairly_too(setup):
    creator, team, members = setup
    factories.RoutingRuleFactory(
        name="Web round robin", conditions=WEB, target_user=None, target_team=team
    )
    outcomes = run_together(
        *[
            lambda i=i: create_lead(
                by=creator, subject=f"Web {i}", last_name="Ng", source=LeadSource.WEB
            )
            for i in range(12)
        ]
    )
    assert [kind for kind, _ in outcomes] == ["ok"] * 12, outcomes
    counts = collections.Counter(lead.owner_user_id for _, lead in outcomes)
    assert counts == {m.pk: 4 for m in members}


def test_least_loaded_never_overfills_capacity_under_a_race(setup):
    creator, team, members = setup
    for member in members:
        member.lead_capacity = 4
        member.save()
    factories.RoutingRuleFactory(
        name="Web least loaded",
        conditions=WEB,
        target_user=None,
        target_team=team,
        distribution="least_loaded",
    )
    leads = [
        factories.LeadFactory(
            owner_user=creator, business_unit=creator.business_unit, source=8
        )
        for _ in range(20)
    ]
    outcomes = run_together(
        *[lambda lead=lead: route_lead(lead=lead, by=creator) for lead in leads]
    )
    assert [kind for kind, _ in outcomes] == ["ok"] * 20, outcomes
    for member in members:
        assert Lead.objects.filter(owner_user=member).count() == 4
    # The other eight found everyone at capacity and stayed with their creator.
    assert Lead.objects.filter(owner_user=creator).count() == 8
    assert LeadAssignment.objects.filter(reason="unchanged").count() == 8
