"""Two users acting on the same lead at the same moment, on real concurrent
PostgreSQL connections (SQLite serialises writers, so these skip there)."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import Account, Contact, Opportunity
from accounts.permissions import SALES_REP
from leads.exceptions import TransitionRefused
from leads.models import Lead, LeadState, LeadStatus
from leads.services.lifecycle import disqualify_lead
from leads.services.qualification import qualify_lead
from tests import factories
from tests.support import ensure_roles, run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite has no row locks or concurrent writers",
    ),
]


@pytest.fixture
def people():
    unit = factories.BusinessUnitFactory(name="North")
    # Transactional tests flush the roles the data migration made.
    ensure_roles()
    group = Group.objects.get(name=SALES_REP)
    team = factories.TeamFactory(business_unit=unit)
    users = []
    for name in ("ann", "bob"):
        user = factories.UserFactory(username=name, business_unit=unit)
        user.groups.add(group)
        team.members.add(user)
        users.append(user)
    return team, users


def test_two_concurrent_qualifications_make_one_set_of_records(people):
    team, (ann, bob) = people
    lead = factories.LeadFactory(owner_user=None, owner_team=team)
    outcomes = run_together(
        lambda: qualify_lead(lead=Lead.objects.get(pk=lead.pk), by=ann),
        lambda: qualify_lead(lead=Lead.objects.get(pk=lead.pk), by=bob),
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"]
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, TransitionRefused)
    assert "already qualified" in error.messages[0]
    assert (Account.objects.count(), Contact.objects.count()) == (1, 1)
    assert Opportunity.objects.count() == 1
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert lead.qualifying_account == Account.objects.get()


def test_two_users_posting_qualify_at_once_through_the_pages(people):
    team, users = people
    lead = factories.LeadFactory(owner_user=None, owner_team=team)
    url = reverse("leads:qualify", args=[lead.pk])
    data = {
        "create_account": "on",
        "create_contact": "on",
        "create_opportunity": "on",
        "status_reason": "3",
    }
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
    outcomes = run_together(
        *[lambda c=client: c.post(url, data, follow=True) for client in clients]
    )
    assert [kind for kind, _ in outcomes] == ["ok", "ok"]
    pages = [response.content.decode() for _, response in outcomes]
    assert all(response.status_code == 200 for _, response in outcomes)
    assert sum("Lead qualified." in page for page in pages) == 1
    assert sum("already qualified" in page for page in pages) == 1
    qualified_url = reverse("leads:qualified", args=[lead.pk])
    assert all(r.redirect_chain[-1][0] == qualified_url for _, r in outcomes)
    assert (Account.objects.count(), Contact.objects.count()) == (1, 1)
    assert Opportunity.objects.count() == 1


def test_qualify_and_disqualify_at_once_leave_one_consistent_outcome(people):
    team, (ann, bob) = people
    lead = factories.LeadFactory(owner_user=None, owner_team=team)
    outcomes = run_together(
        lambda: qualify_lead(lead=Lead.objects.get(pk=lead.pk), by=ann),
        lambda: disqualify_lead(
            lead=Lead.objects.get(pk=lead.pk), by=bob, reason=LeadStatus.LOST
        ),
    )
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    lead.refresh_from_db()
    if lead.state == LeadState.QUALIFIED:
        assert Account.objects.count() == 1
    else:
        assert lead.status == LeadStatus.LOST
        assert not Account.objects.exists()
        assert not Opportunity.objects.exists()
