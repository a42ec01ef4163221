"""Concurrent API writes on PostgreSQL, each request on its own connection: two
PATCHes based on one version, two qualifies of one lead."""

import json

from django.test import Client

from accounts.models import Account, Contact, Opportunity
from leads.models import Lead, LeadState
from tests import factories
from tests.support import on_postgresql, run_together


def _clients(user, count=2):
    clients = []
    for _ in range(count):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def _statuses(outcomes):
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    return sorted(response.status_code for _, response in outcomes)


@on_postgresql
def test_two_patches_with_one_if_match_one_wins_one_is_412(rep):
    lead = factories.LeadFactory(owner_user=rep, job_title="Buyer")
    version = lead.version

    def patch(client, title):
        return client.patch(
            f"/api/leads/{lead.pk}",
            json.dumps({"job_title": title}),
            content_type="application/json",
            headers={"if_match": f'"{version}"'},
        )

    first, second = _clients(rep)
    outcomes = run_together(
        lambda: patch(first, "Head of Fleet"), lambda: patch(second, "CFO")
    )
    assert _statuses(outcomes) == [200, 412]
    winner = next(r for _, r in outcomes if r.status_code == 200)
    loser = next(r for _, r in outcomes if r.status_code == 412)
    lead.refresh_from_db()
    # The stored title is the winner's; the loser was told what is stored now.
    assert lead.job_title == winner.json()["job_title"]
    assert loser.json()["current"]["job_title"] == lead.job_title
    assert lead.version == version + 1


@on_postgresql
def test_two_qualifies_make_one_set_of_records(rep):
    lead = factories.LeadFactory(owner_user=rep, company_name="Tailspin Toys")

    def qualify(client):
        return client.post(
            f"/api/leads/{lead.pk}/qualify",
            json.dumps({"create_duplicates": True}),
            content_type="application/json",
            headers={"if_match": f'"{lead.version}"'},
        )

    first, second = _clients(rep)
    outcomes = run_together(lambda: qualify(first), lambda: qualify(second))
    statuses = _statuses(outcomes)
    assert statuses[0] == 200 and statuses[1] in (409, 412), statuses
    assert Lead.objects.get(pk=lead.pk).state == LeadState.QUALIFIED
    assert Account.objects.filter(name="Tailspin Toys").count() == 1
    assert Contact.objects.count() == 1
    assert Opportunity.objects.count() == 1
