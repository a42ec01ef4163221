"""qualify_lead (DESIGN §5), the duplicate/match selectors it relies on and the
qualify page's inputs: none it ignores, out-of-scope records refused, the lead's
parent account / contact as the opportunity's customer."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_fsm_log.models import StateLog

from accounts import services as account_services
from accounts.models import Account, Contact, Opportunity, OpportunityProduct
from accounts.services import update_account
from leads.exceptions import TransitionRefused
from leads.models import Lead, LeadState, LeadStatus
from leads.selectors.duplicates import (
    HiddenMatch,
    find_duplicate_leads,
    find_matching_accounts_contacts,
    normalise_company,
)
from leads.services.qualification import qualify_lead
from tests import factories
from tests.support import snapshot


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(
        owner_user=rep,
        subject="50 seats of CRM",
        salutation="Ms",
        first_name="Ada",
        last_name="Lovelace",
        job_title="CTO",
        email="ada@analytical.example",
        business_phone="+44 20 5555 0101",
        mobile_phone="+44 7700 900123",
        company_name="Analytical Engines Ltd",
        website="https://analytical.example",
        city="London",
        country="United Kingdom",
        address_line1="1 Babbage Way",
        estimated_value=Decimal("42000.00"),
        estimated_close_date=datetime.date(2030, 6, 30),
        description="Needs it before summer.",
    )


def test_qualify_creates_account_contact_and_opportunity_copying_the_lead(rep, lead):
    result = qualify_lead(lead=lead, by=rep)
    lead.refresh_from_db()
    assert (lead.state, lead.status) == (LeadState.QUALIFIED, LeadStatus.QUALIFIED)
    assert lead.qualified_at is not None
    account, contact, opportunity = result.account, result.contact, result.opportunity
    assert (account.name, account.website, account.phone, account.city) == (
        "Analytical Engines Ltd",
        "https://analytical.example",
        "+44 20 5555 0101",
        "London",
    )
    assert account.address_line1 == "1 Babbage Way"
    assert (contact.first_name, contact.last_name, contact.job_title) == (
        "Ada",
        "Lovelace",
        "CTO",
    )
    assert (contact.email, contact.mobile_phone) == (
        "ada@analytical.example",
        "+44 7700 900123",
    )
    assert contact.account == account
    account.refresh_from_db()
    assert account.primary_contact == contact
    assert opportunity.name == "50 seats of CRM"
    assert opportunity.estimated_value == Decimal("42000.00")
    assert opportunity.estimated_close_date == datetime.date(2030, 6, 30)
    assert (opportunity.account, opportunity.contact) == (account, contact)
    assert (lead.qualifying_account, lead.qualifying_contact) == (account, contact)
    assert lead.qualifying_opportunity == opportunity
    assert result.summary == {
        "account": "created",
        "contact": "created",
        "opportunity": "created",
    }


def test_new_records_are_owned_by_the_lead_owner_not_the_qualifier(manager, org):
    team = factories.TeamFactory(business_unit=org.north)
    lead = factories.LeadFactory(owner_user=None, owner_team=team)
    result = qualify_lead(lead=lead, by=manager)
    for record in (result.account, result.contact, result.opportunity):
        assert (record.owner_user, record.owner_team) == (None, team)
        assert record.business_unit == org.north


def test_product_interests_become_opportunity_lines(rep, lead):
    product = factories.ProductFactory(price=Decimal("250.00"))
    factories.LeadProductFactory(
        lead=lead, product=product, quantity=Decimal("3"), note="blue"
    )
    result = qualify_lead(lead=lead, by=rep)
    [line] = OpportunityProduct.objects.filter(opportunity=result.opportunity)
    assert (line.product, line.quantity, line.note) == (product, Decimal("3"), "blue")
    assert line.price_per_unit == Decimal("250.00")


def test_qualify_linking_an_existing_account_creates_no_account(rep, lead):
    existing = factories.AccountFactory(owner_user=rep, name="Analytical Engines")
    primary = factories.ContactFactory(owner_user=rep, account=existing)
    existing = update_account(account=existing, by=rep, primary_contact=primary)
    result = qualify_lead(lead=lead, by=rep, existing_account=existing)
    assert Account.objects.count() == 1
    assert result.account == existing
    assert result.contact.account == existing
    existing.refresh_from_db()
    assert existing.primary_contact == primary
    assert result.summary["account"] == "linked"


def test_qualify_with_an_existing_contact_and_no_account(rep, lead):
    contact = factories.ContactFactory(owner_user=rep)
    result = qualify_lead(
        lead=lead,
        by=rep,
        create_account=False,
        create_contact=False,
        existing_contact=contact,
    )
    assert result.account is None
    assert result.opportunity.contact == contact
    assert result.opportunity.account is None
    assert not Account.objects.exists()
    assert Contact.objects.count() == 1


def test_qualify_without_an_opportunity(rep, lead):
    result = qualify_lead(lead=lead, by=rep, create_opportunity=False)
    assert result.opportunity is None
    assert not Opportunity.objects.exists()
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED


def test_opportunity_without_any_customer_is_refused(rep, lead):
    with pytest.raises(ValidationError, match="needs a customer"):
        qualify_lead(lead=lead, by=rep, create_account=False, create_contact=False)
    lead.refresh_from_db()
    assert lead.is_open


def test_creating_an_account_needs_a_company_name(rep):
    lead = factories.LeadFactory(owner_user=rep, company_name="")
    with pytest.raises(ValidationError) as error:
        qualify_lead(lead=lead, by=rep)
    assert "create_account" in error.value.message_dict
    assert not Contact.objects.exists()


def test_qualify_records_campaign_and_logs_who_and_why(rep, lead):
    campaign = factories.CampaignFactory()
    qualify_lead(lead=lead, by=rep, campaign=campaign, description="Budget signed")
    lead.refresh_from_db()
    assert lead.campaign == campaign
    log = StateLog.objects.for_(lead).get()
    assert (log.transition, log.by, log.description) == (
        "qualify",
        rep,
        "Budget signed",
    )
    assert int(log.state) == LeadStatus.QUALIFIED


def test_qualify_a_contacted_lead(rep):
    lead = factories.LeadFactory(owner_user=rep, contacted=True)
    qualify_lead(lead=lead, by=rep)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.QUALIFIED


def test_qualify_twice_says_already_qualified_and_creates_nothing_more(rep, lead):
    stale = Lead.objects.get(pk=lead.pk)
    qualify_lead(lead=lead, by=rep)
    with pytest.raises(TransitionRefused, match="already qualified"):
        qualify_lead(lead=stale, by=rep)
    assert (Account.objects.count(), Contact.objects.count()) == (1, 1)
    assert Opportunity.objects.count() == 1


def test_qualify_a_disqualified_lead_is_refused(rep):
    lead = factories.LeadFactory(owner_user=rep, disqualified=True)
    with pytest.raises(TransitionRefused, match="disqualified"):
        qualify_lead(lead=lead, by=rep)
    assert not Account.objects.exists()


def test_a_failure_in_the_opportunity_step_leaves_nothing_behind(
    rep, lead, monkeypatch
):
    def broken(**kwargs):
        raise ValidationError("Opportunity service is down.")

    monkeypatch.setattr(account_services, "create_opportunity", broken)
    with pytest.raises(ValidationError, match="down"):
        qualify_lead(lead=lead, by=rep)
    lead.refresh_from_db()
    assert (lead.state, lead.status) == (LeadState.OPEN, LeadStatus.NEW)
    assert lead.qualifying_account is None
    assert not Account.objects.exists()
    assert not Contact.objects.exists()
    assert not StateLog.objects.for_(lead).exists()


def test_requalifying_a_reactivated_lead_can_link_its_earlier_records(rep, lead):
    from leads.services.lifecycle import reactivate_lead

    first = qualify_lead(lead=lead, by=rep, create_opportunity=False)
    reactivate_lead(lead=lead, by=rep)
    second = qualify_lead(
        lead=lead,
        by=rep,
        existing_account=first.account,
        existing_contact=first.contact,
    )
    assert (second.account, second.contact) == (first.account, first.contact)
    assert Account.objects.count() == 1
    assert second.opportunity.account == first.account


# --- duplicate and match selectors --------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Contoso, Ltd.", "contoso"),
        ("The Contoso Company", "contoso"),
        ("CONTOSO GmbH", "contoso"),
        ("Fabrikam Inc", "fabrikam"),
        ("", ""),
    ],
)
def test_normalise_company(raw, normal):
    assert normalise_company(raw) == normal


def test_find_duplicate_leads_matches_email_phone_and_company_name(rep):
    by_email = factories.LeadFactory(owner_user=rep, email="Ada@Example.com")
    by_phone = factories.LeadFactory(owner_user=rep, business_phone="020 5555 0101")
    by_company = factories.LeadFactory(
        owner_user=rep, last_name="Lovelace", company_name="Analytical Engines, Inc."
    )
    factories.LeadFactory(owner_user=rep, last_name="Lovelace", company_name="Other")
    found = find_duplicate_leads(
        user=rep,
        email="ada@example.com",
        company_name="analytical engines",
        last_name="lovelace",
        phone="020 5555 0101",
    )
    reasons = {lead.pk: lead.duplicate_reasons for lead in found.leads}
    assert reasons == {
        by_email.pk: ["same email"],
        by_phone.pk: ["same phone"],
        by_company.pk: ["same company and last name"],
    }


def test_find_duplicate_leads_checks_every_lead_and_hides_those_out_of_scope(rep, rep2):
    mine = factories.LeadFactory(owner_user=rep, email="x@example.com")
    factories.LeadFactory(owner_user=rep2, email="x@example.com")
    found = find_duplicate_leads(user=rep, email="x@example.com")
    assert found.leads == [mine]
    assert found.elsewhere == [HiddenMatch("lead", ("same email",), str(rep2))]
    found = find_duplicate_leads(user=rep, email="x@example.com", exclude_pk=mine.pk)
    assert (found.leads, len(found.elsewhere)) == ([], 1)


def test_matching_accounts_and_contacts_for_qualification(rep, rep2, lead):
    by_name = factories.AccountFactory(
        owner_user=rep, name="Analytical Engines", email="", phone=""
    )
    by_phone = factories.AccountFactory(
        owner_user=rep, name="Other Co", email="", phone="+44 20 5555 0101"
    )
    factories.AccountFactory(owner_user=rep2, name="Analytical Engines Ltd")
    factories.AccountFactory(owner_user=rep, name="Unrelated", email="", phone="")
    contact = factories.ContactFactory(
        owner_user=rep, email="ADA@analytical.example", business_phone=""
    )
    matches = find_matching_accounts_contacts(user=rep, lead=lead)
    assert {a.pk: a.match_reasons for a in matches.accounts} == {
        by_name.pk: ["same company name"],
        by_phone.pk: ["same phone"],
    }
    assert [(c.pk, c.match_reasons) for c in matches.contacts] == [
        (contact.pk, ["same email"])
    ]
    # rep2's account matches too: named by its owner only, never offered to link.
    assert matches.elsewhere == [
        HiddenMatch("account", ("same company name",), str(rep2))
    ]


# --- The opportunity's amount and close date ------------------------------------------


def test_qualify_page_asks_for_the_amount_and_close_date_from_the_lead(
    rep_client, lead
):
    html = rep_client.get(f"/leads/{lead.pk}/qualify/").content.decode()
    assert 'name="estimated_value" value="42000.00"' in html
    assert 'name="estimated_close_date" value="2030-06-30"' in html


def test_qualify_page_falls_back_to_the_budget_for_the_amount(rep_client, rep):
    lead = factories.LeadFactory(
        owner_user=rep, estimated_value=None, budget_amount=Decimal("18500.00")
    )
    html = rep_client.get(f"/leads/{lead.pk}/qualify/").content.decode()
    assert 'name="estimated_value" value="18500.00"' in html


def _qualify_post(**extra):
    return {
        "create_account": "on",
        "create_contact": "on",
        "create_opportunity": "on",
        **extra,
    }


def test_qualify_with_an_amount_creates_the_opportunity_with_it(rep_client, lead):
    response = rep_client.post(
        f"/leads/{lead.pk}/qualify/",
        _qualify_post(estimated_value="55000.50", estimated_close_date="2031-01-15"),
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    opportunity = lead.qualifying_opportunity
    assert opportunity.estimated_value == Decimal("55000.50")
    assert opportunity.estimated_close_date == datetime.date(2031, 1, 15)
    # The lead keeps its own figures.
    assert lead.estimated_value == Decimal("42000.00")


def test_qualify_with_the_amount_cleared_creates_no_estimate(rep_client, lead):
    rep_client.post(
        f"/leads/{lead.pk}/qualify/",
        _qualify_post(estimated_value="", estimated_close_date=""),
    )
    lead.refresh_from_db()
    opportunity = lead.qualifying_opportunity
    assert (opportunity.estimated_value, opportunity.estimated_close_date) == (
        None,
        None,
    )


def test_a_negative_amount_is_a_form_error_and_nothing_is_qualified(rep_client, lead):
    response = rep_client.post(
        f"/leads/{lead.pk}/qualify/", _qualify_post(estimated_value="-5")
    )
    assert response.status_code == 200
    assert "estimated_value" in response.context["form"].errors
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN
    assert not Opportunity.objects.exists()


def test_qualify_lead_takes_the_amount_and_defaults_to_the_leads(rep, lead):
    result = qualify_lead(
        lead=lead,
        by=rep,
        estimated_value=Decimal("61000.00"),
        estimated_close_date=datetime.date(2030, 9, 1),
    )
    assert result.opportunity.estimated_value == Decimal("61000.00")
    assert result.opportunity.estimated_close_date == datetime.date(2030, 9, 1)
    other = factories.LeadFactory(
        owner_user=rep,
        company_name="Other Ltd",
        estimated_value=Decimal("900.00"),
        estimated_close_date=datetime.date(2030, 2, 1),
    )
    result = qualify_lead(lead=other, by=rep, estimated_value=None)
    assert result.opportunity.estimated_value is None
    assert result.opportunity.estimated_close_date == datetime.date(2030, 2, 1)


# --- The qualify page's inputs ----------------------------------------------------------


def test_qualify_form_shows_no_status_reason_it_would_drop(rep_client, rep):
    """D365 has one status reason for a qualified lead (Qualified); the form offered
    it as a choice and dropped it, so the choice is gone."""
    lead = factories.LeadFactory(owner_user=rep)
    response = rep_client.get(reverse("leads:qualify", args=[lead.pk]))
    assert "status_reason" not in response.context["form"].fields
    assert "Status reason" not in response.content.decode()


@pytest.mark.parametrize("field", ["existing_account", "existing_contact"])
def test_qualify_with_an_out_of_scope_existing_record_is_a_form_error(
    rep_client, rep, rep2, field
):
    lead = factories.LeadFactory(owner_user=rep)
    other = (
        factories.AccountFactory(owner_user=rep2)
        if field == "existing_account"
        else factories.ContactFactory(owner_user=rep2)
    )
    before = snapshot()
    response = rep_client.post(
        reverse("leads:qualify", args=[lead.pk]),
        {field: other.pk, "create_opportunity": "on", "status_reason": 3},
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert snapshot() == before


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


def test_qualification_carries_do_not_email_to_the_new_contact(rep):
    lead = factories.LeadFactory(owner_user=rep, do_not_email=True)
    result = qualify_lead(lead=lead, by=rep, create_account=True, create_contact=True)
    assert result.contact.do_not_email is True
