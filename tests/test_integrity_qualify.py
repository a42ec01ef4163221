"""Finding 10 of issue 7: the qualify form has no input it ignores, and the lead's
parent account / parent contact become the opportunity's customer when no account
or contact is created (as D365 QualifyLead does)."""

import pytest
from django.urls import reverse

from accounts.models import Opportunity
from tests import factories

pytestmark = pytest.mark.django_db


def test_qualify_form_shows_no_status_reason_it_would_drop(rep_client, rep):
    """D365 has one status reason for a qualified lead (Qualified); the form offered
    it as a choice and dropped it, so the choice is gone."""
    lead = factories.LeadFactory(owner_user=rep)
    response = rep_client.get(reverse("leads:qualify", args=[lead.pk]))
    assert "status_reason" not in response.context["form"].fields
    assert "Status reason" not in response.content.decode()


def _lead_with_parents(rep):
    parent_account = factories.AccountFactory(owner_user=rep, name="Parent Co")
    parent_contact = factories.ContactFactory(owner_user=rep, account=parent_account)
    lead = factories.LeadFactory(
        owner_user=rep, parent_account=parent_account, parent_contact=parent_contact
    )
    return lead, parent_account, parent_contact


def test_parent_account_and_contact_become_the_opportunitys_customer(rep_client, rep):
    lead, parent_account, parent_contact = _lead_with_parents(rep)
    response = rep_client.post(
        reverse("leads:qualify", args=[lead.pk]), {"create_opportunity": "on"}
    )
    assert response.status_code == 302, response.context["form"].errors
    opportunity = Opportunity.objects.get()
    assert opportunity.account == parent_account
    assert opportunity.contact == parent_contact
    lead.refresh_from_db()
    assert lead.qualifying_opportunity == opportunity


def test_a_created_account_wins_over_the_parent(rep_client, rep):
    lead, parent_account, parent_contact = _lead_with_parents(rep)
    rep_client.post(
        reverse("leads:qualify", args=[lead.pk]),
        {"create_account": "on", "create_opportunity": "on"},
    )
    opportunity = Opportunity.objects.get()
    assert opportunity.account != parent_account
    assert opportunity.account.name == lead.company_name
    assert opportunity.contact == parent_contact
