"""Record forms and related records: a stored related record stays selectable (and
shown) on its own record's edit form, so re-saving unchanged never clears it; fields
the user did not touch are never changed; a related id outside the user's scope is a
form error that keeps everything else typed."""

import pytest
from django.urls import reverse

from accounts.models import Account, Contact, Opportunity
from leads.models import Lead
from tests import factories
from tests.support import browser_post_data, snapshot

pytestmark = pytest.mark.django_db


def resave(client, url):
    page = client.get(url)
    assert page.status_code == 200
    data = browser_post_data(page.content.decode(), page.context["form"])
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    return page


def test_lead_keeps_inactive_campaign_and_out_of_scope_partner(rep_client, rep, rep2):
    campaign = factories.CampaignFactory(is_active=False)
    partner = factories.AccountFactory(owner_user=rep2, is_partner=True)
    lead = factories.LeadFactory(
        owner_user=rep, campaign=campaign, channel_partner=partner
    )
    page = resave(rep_client, reverse("leads:edit", args=[lead.pk]))
    assert campaign.name in page.content.decode()
    lead.refresh_from_db()
    assert (lead.campaign, lead.channel_partner) == (campaign, partner)


def test_lead_keeps_a_partner_that_stopped_being_a_partner(rep_client, rep):
    partner = factories.AccountFactory(owner_user=rep, is_partner=True)
    lead = factories.LeadFactory(owner_user=rep, channel_partner=partner)
    Account.objects.filter(pk=partner.pk).update(is_partner=False)
    resave(rep_client, reverse("leads:edit", args=[lead.pk]))
    lead.refresh_from_db()
    assert lead.channel_partner == partner


def test_bulk_assign_not_refused_for_a_former_partner(rep_client, rep):
    partner = factories.AccountFactory(owner_user=rep, is_partner=True)
    lead = factories.LeadFactory(owner_user=rep, channel_partner=partner)
    Account.objects.filter(pk=partner.pk).update(is_partner=False)
    colleague = factories.UserFactory(business_unit=rep.business_unit)
    team = factories.TeamFactory(business_unit=rep.business_unit)
    team.members.add(rep, colleague)
    response = rep_client.post(
        reverse("leads:bulk"),
        {"action": "assign", "ids": [lead.pk], "owner_team": team.pk},
        follow=True,
    )
    assert "1 lead assigned" in response.content.decode()
    lead.refresh_from_db()
    assert lead.owner_team == team and lead.channel_partner == partner


def test_lead_form_still_refuses_another_out_of_scope_partner(rep_client, rep, rep2):
    lead = factories.LeadFactory(owner_user=rep)
    foreign = factories.AccountFactory(owner_user=rep2, is_partner=True)
    response = rep_client.post(
        reverse("leads:edit", args=[lead.pk]),
        {
            "subject": lead.subject,
            "last_name": lead.last_name,
            "channel_partner": foreign.pk,
        },
    )
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.channel_partner is None


def test_account_keeps_out_of_scope_parent_and_primary_contact(rep_client, rep, rep2):
    parent = factories.AccountFactory(owner_user=rep2)
    contact = factories.ContactFactory(owner_user=rep2)
    account = factories.AccountFactory(
        owner_user=rep, parent_account=parent, primary_contact=contact
    )
    resave(rep_client, reverse("accounts:account-edit", args=[account.pk]))
    account.refresh_from_db()
    assert (account.parent_account, account.primary_contact) == (parent, contact)


def test_contact_keeps_out_of_scope_account(rep_client, rep, rep2):
    company = factories.AccountFactory(owner_user=rep2)
    contact = factories.ContactFactory(owner_user=rep, account=company)
    resave(rep_client, reverse("accounts:contact-edit", args=[contact.pk]))
    contact.refresh_from_db()
    assert contact.account == company


def test_opportunity_keeps_out_of_scope_account_and_contact(rep_client, rep, rep2):
    company = factories.AccountFactory(owner_user=rep2)
    person = factories.ContactFactory(owner_user=rep2)
    opportunity = factories.OpportunityFactory(
        owner_user=rep, account=company, contact=person
    )
    resave(rep_client, reverse("accounts:opportunity-edit", args=[opportunity.pk]))
    opportunity.refresh_from_db()
    assert (opportunity.account, opportunity.contact) == (company, person)


@pytest.mark.parametrize(
    "model, url, field",
    [
        (Lead, "leads:edit", "channel_partner"),
        (Account, "accounts:account-edit", "parent_account"),
        (Contact, "accounts:contact-edit", "account"),
        (Opportunity, "accounts:opportunity-edit", "account"),
    ],
)
def test_kept_value_is_only_the_records_own(rep_client, rep, rep2, model, url, field):
    """Keeping the stored value does not open the field to other out-of-scope ids."""
    foreign = factories.AccountFactory(owner_user=rep2, is_partner=True)
    factory = {
        Lead: factories.LeadFactory,
        Account: factories.AccountFactory,
        Contact: factories.ContactFactory,
        Opportunity: factories.OpportunityFactory,
    }[model]
    record = factory(owner_user=rep)
    page = rep_client.get(reverse(url, args=[record.pk]))
    data = browser_post_data(page.content.decode(), page.context["form"])
    data[field] = foreign.pk
    response = rep_client.post(reverse(url, args=[record.pk]), data)
    assert response.status_code == 200
    record.refresh_from_db()
    assert getattr(record, f"{field}_id") != foreign.pk


def test_record_forms_refuse_out_of_scope_related_ids(rep_client, rep, rep2):
    other_account = factories.AccountFactory(owner_user=rep2, is_partner=True)
    other_contact = factories.ContactFactory(owner_user=rep2)
    cases = [
        (
            reverse("leads:create"),
            {"subject": "S", "last_name": "L", "source": 8},
            {"channel_partner": other_account.pk},
        ),
        (
            reverse("accounts:account-create"),
            {"name": "A"},
            {"parent_account": other_account.pk},
        ),
        (
            reverse("accounts:account-create"),
            {"name": "A"},
            {"primary_contact": other_contact.pk},
        ),
        (
            reverse("accounts:contact-create"),
            {"last_name": "C"},
            {"account": other_account.pk},
        ),
        (
            reverse("accounts:opportunity-create"),
            {"name": "O", "estimated_value": "1"},
            {"account": other_account.pk},
        ),
        (
            reverse("accounts:opportunity-create"),
            {"name": "O", "estimated_value": "1"},
            {"contact": other_contact.pk},
        ),
    ]
    before = snapshot()
    for url, base, tampered in cases:
        response = rep_client.post(url, {**base, **tampered})
        assert response.status_code == 200, url
        (name,) = tampered
        assert name in response.context["form"].errors, (url, name)
        # Nothing the user typed is lost: the other values come back in the form.
        for key, value in base.items():
            assert str(response.context["form"][key].value()) == str(value)
    assert snapshot() == before
