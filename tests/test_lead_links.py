"""Lead ↔ account/contact links and product interests; a record or product the user
may not link is refused and nothing is written."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from leads.exceptions import LeadClosed, closed_message
from leads.models import LeadAccount, LeadContact, LeadProduct
from leads.selectors.links import lead_links_context
from leads.selectors.timeline import timeline_context
from leads.services.links import (
    add_interest,
    link_account,
    link_contact,
    remove_interest,
    unlink_account,
    unlink_contact,
)
from leadsite.core.services import service_context
from tests import factories
from tests.support import ensure_roles, shown_messages, snapshot


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(owner_user=rep)


def test_linking_twice_keeps_one_row(lead, rep):
    account = factories.AccountFactory(owner_user=rep)
    _, created = link_account(lead=lead, account=account, by=rep)
    _, created_again = link_account(lead=lead, account=account, by=rep)
    assert (created, created_again) == (True, False)
    assert LeadAccount.objects.filter(lead=lead, account=account).count() == 1


def test_lead_links_to_many_accounts_and_contacts(lead, rep):
    accounts = factories.AccountFactory.create_batch(3, owner_user=rep)
    contacts = factories.ContactFactory.create_batch(2, owner_user=rep)
    for account in accounts:
        link_account(lead=lead, account=account, by=rep)
    for contact in contacts:
        link_contact(lead=lead, contact=contact, by=rep)
    assert set(lead.accounts.all()) == set(accounts)
    assert set(lead.contacts.all()) == set(contacts)


def test_unlink_removes_only_that_link(lead, rep):
    first, second = factories.AccountFactory.create_batch(2, owner_user=rep)
    link_account(lead=lead, account=first, by=rep)
    link_account(lead=lead, account=second, by=rep)
    assert unlink_account(lead=lead, account=first, by=rep) is True
    assert unlink_account(lead=lead, account=first, by=rep) is False
    assert list(lead.accounts.all()) == [second]
    contact = factories.ContactFactory(owner_user=rep)
    link_contact(lead=lead, contact=contact, by=rep)
    unlink_contact(lead=lead, contact=contact, by=rep)
    assert not LeadContact.objects.exists()


def test_closed_lead_refuses_link_changes(rep):
    lead = factories.LeadFactory(owner_user=rep, qualified=True)
    account = factories.AccountFactory(owner_user=rep)
    with pytest.raises(LeadClosed) as refusal:
        link_account(lead=lead, account=account, by=rep)
    assert refusal.value.messages == [
        "This lead is already qualified. Reactivate it to change it."
    ]
    assert not LeadAccount.objects.exists()


def test_link_account_through_page_twice(rep_client, lead, rep):
    account = factories.AccountFactory(owner_user=rep, name="Fabrikam")
    url = reverse("leads:link-account", args=[lead.pk])
    first = rep_client.post(url, {"account": account.pk}, follow=True)
    assert "Account “Fabrikam” linked." in first.content.decode()
    second = rep_client.post(url, {"account": account.pk}, follow=True)
    assert second.status_code == 200
    assert "was already linked" in second.content.decode()
    assert LeadAccount.objects.filter(lead=lead).count() == 1


def test_tampered_account_id_outside_scope_is_a_form_error(rep_client, lead, rep2):
    foreign = factories.AccountFactory(owner_user=rep2)
    url = reverse("leads:link-account", args=[lead.pk])
    response = rep_client.post(url, {"account": foreign.pk}, follow=True)
    text = response.content.decode()
    assert "The account was not linked" in text
    assert "Select a valid choice" in text
    assert not LeadAccount.objects.exists()
    response = rep_client.post(url, {"account": "not-a-number"}, follow=True)
    assert "Select a valid choice" in response.content.decode()


def _picker(client, lead, kind):
    """The link form as the lead page loads it when "Link an account/contact" opens."""
    url = reverse(f"leads:link-{kind}", args=[lead.pk])
    return client.get(url, HTTP_HX_REQUEST="true").context["form"]


def test_pick_list_suggests_visible_unlinked_records_like_the_lead(
    rep_client, rep, rep2
):
    lead = factories.LeadFactory(owner_user=rep, company_name="Mine")
    mine = factories.AccountFactory(owner_user=rep, name="Mine Inc")
    linked = factories.AccountFactory(owner_user=rep, name="Mine Linked")
    factories.AccountFactory(owner_user=rep, name="Other Inc")
    factories.AccountFactory(owner_user=rep2, name="Mine Foreign")
    link_account(lead=lead, account=linked, by=rep)
    form = _picker(rep_client, lead, "account")
    options = [label for _, label in form.fields["account"].widget.choices]
    assert options == ["—", str(mine)]
    context = lead_links_context(lead=lead, user=rep)
    assert context["linked_accounts"] == [linked]


def test_contact_suggestions_share_the_leads_email_or_last_name(rep_client, rep):
    lead = factories.LeadFactory(
        owner_user=rep, email="ana@example.com", last_name="Ruiz"
    )
    by_email = factories.ContactFactory(
        owner_user=rep, last_name="Other", email="ANA@example.com"
    )
    by_name = factories.ContactFactory(owner_user=rep, last_name="Ruiz", email="")
    factories.ContactFactory(owner_user=rep, last_name="Stranger", email="x@y.org")
    form = _picker(rep_client, lead, "contact")
    values = [value for value, _ in form.fields["contact"].widget.choices]
    assert sorted(values[1:]) == sorted([by_email.pk, by_name.pk])


def test_link_and_unlink_contact_through_page(rep_client, lead, rep):
    contact = factories.ContactFactory(owner_user=rep)
    rep_client.post(
        reverse("leads:link-contact", args=[lead.pk]), {"contact": contact.pk}
    )
    assert list(lead.contacts.all()) == [contact]
    rep_client.post(reverse("leads:unlink-contact", args=[lead.pk, contact.pk]))
    assert not lead.contacts.exists()


def test_link_on_closed_lead_through_page_is_a_message(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, disqualified=True)
    account = factories.AccountFactory(owner_user=rep)
    response = rep_client.post(
        reverse("leads:link-account", args=[lead.pk]),
        {"account": account.pk},
        follow=True,
    )
    assert closed_message(lead) in response.content.decode()
    assert not LeadAccount.objects.exists()


def test_links_on_a_lead_outside_scope_are_404(client, lead, rep2):
    account = factories.AccountFactory(owner_user=rep2)
    client.force_login(rep2)
    response = client.post(
        reverse("leads:link-account", args=[lead.pk]), {"account": account.pk}
    )
    assert response.status_code == 404


def test_linked_leads_show_on_account_and_contact(rep):
    lead = factories.LeadFactory(owner_user=rep)
    other = factories.LeadFactory(owner_user=rep)
    account = factories.AccountFactory(owner_user=rep)
    contact = factories.ContactFactory(owner_user=rep)
    link_account(lead=lead, account=account, by=rep)
    link_contact(lead=other, contact=contact, by=rep)
    assert timeline_context(user=rep, record=account)["linked_leads"] == [lead]
    assert timeline_context(user=rep, record=contact)["linked_leads"] == [other]


def test_linked_leads_outside_scope_are_hidden_on_account(rep, rep2):
    account = factories.AccountFactory(owner_user=rep)
    foreign_lead = factories.LeadFactory(owner_user=rep2)
    link_account(lead=foreign_lead, account=account, by=rep2)
    assert timeline_context(user=rep, record=account)["linked_leads"] == []


# --- Product interests ------------------------------------------------------------------


def test_interest_one_row_per_product(lead, rep):
    product = factories.ProductFactory()
    add_interest(lead=lead, product=product, by=rep, quantity=Decimal("2"), note="Blue")
    add_interest(lead=lead, product=product, by=rep, quantity=Decimal("5"), note="Red")
    interest = LeadProduct.objects.get(lead=lead)
    assert (interest.quantity, interest.note) == (Decimal("5"), "Red")


def test_remove_interest(lead, rep):
    interest = add_interest(lead=lead, product=factories.ProductFactory(), by=rep)
    remove_interest(lead=lead, interest=interest, by=rep)
    assert not LeadProduct.objects.exists()


def test_closed_lead_refuses_interest_changes(rep):
    lead = factories.LeadFactory(owner_user=rep, qualified=True)
    with pytest.raises(LeadClosed):
        add_interest(lead=lead, product=factories.ProductFactory(), by=rep)


def test_interests_through_page(rep_client, lead):
    product = factories.ProductFactory(name="Widget")
    url = reverse("leads:add-interest", args=[lead.pk])
    response = rep_client.post(
        url, {"product": product.pk, "quantity": "3", "note": "asap"}, follow=True
    )
    assert "Interest in “Widget” saved." in response.content.decode()
    interest = LeadProduct.objects.get(lead=lead)
    assert interest.quantity == Decimal("3")
    rep_client.post(reverse("leads:remove-interest", args=[lead.pk, interest.pk]))
    assert not LeadProduct.objects.exists()


def test_negative_quantity_is_a_form_error(rep_client, lead):
    product = factories.ProductFactory()
    response = rep_client.post(
        reverse("leads:add-interest", args=[lead.pk]),
        {"product": product.pk, "quantity": "-1"},
        follow=True,
    )
    assert "Quantity:" in response.content.decode()
    assert not LeadProduct.objects.exists()


def test_lead_page_shows_interests_and_original_message(rep_client, rep):
    lead = factories.LeadFactory(
        owner_user=rep, original_message="Please call me about pricing"
    )
    add_interest(
        lead=lead,
        product=factories.ProductFactory(name="Gizmo"),
        by=rep,
        quantity=Decimal("4"),
    )
    html = rep_client.get(lead.get_absolute_url()).content.decode()
    assert html.count("Please call me about pricing") == 1
    assert "Gizmo" in html
    assert "Merge with…" in html


@pytest.fixture
def _role_groups(transactional_db):
    """The role groups come from a data migration that a transactional flush
    removes; recreate them before the users are made."""

    ensure_roles()


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks and real concurrent connections",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_links_of_the_same_pair_keep_one_row(_role_groups, rep):
    """Several requests linking the same account at once all succeed; one row."""
    import threading

    from django.db import connections

    lead = factories.LeadFactory(owner_user=rep)
    account = factories.AccountFactory(owner_user=rep)
    barrier = threading.Barrier(4)
    outcomes = []

    def attempt():
        try:
            barrier.wait(timeout=10)
            _, created = link_account(lead=lead, account=account, by=rep)
            outcomes.append(created)
        except Exception as error:  # noqa: BLE001 - the test reports any failure
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes, key=str) == [False, False, False, True]
    assert LeadAccount.objects.filter(lead=lead, account=account).count() == 1


# --- refused links: out of scope, retired products -------------------------------------


@pytest.mark.parametrize("kind", ["account", "contact"])
def test_linking_an_out_of_scope_account_or_contact_is_refused(
    rep_client, rep, rep2, kind
):
    lead = factories.LeadFactory(owner_user=rep)
    factory = (
        factories.AccountFactory if kind == "account" else factories.ContactFactory
    )
    other = factory(owner_user=rep2)
    before = snapshot()
    response = rep_client.post(
        reverse(f"leads:link-{kind}", args=[lead.pk]), {kind: other.pk}, follow=True
    )
    assert response.status_code == 200
    assert any("not linked" in m for m in shown_messages(response))
    assert snapshot() == before


@pytest.mark.parametrize("kind", ["account", "contact"])
def test_unlinking_with_an_out_of_scope_record_id_is_404(rep_client, rep, rep2, kind):
    lead = factories.LeadFactory(owner_user=rep)
    factory = (
        factories.AccountFactory if kind == "account" else factories.ContactFactory
    )
    other = factory(owner_user=rep2)
    with service_context("tests.link_out_of_scope"):  # rep could not link it
        link = (LeadAccount if kind == "account" else LeadContact).objects.create(
            lead=lead, **{kind: other}
        )
    before = snapshot()
    response = rep_client.post(
        reverse(f"leads:unlink-{kind}", args=[lead.pk, other.pk])
    )
    assert response.status_code == 404
    assert snapshot() == before
    assert type(link).objects.filter(pk=link.pk).exists()


def test_removing_another_leads_interest_is_404(rep_client, rep, rep2):
    lead = factories.LeadFactory(owner_user=rep)
    foreign = factories.LeadProductFactory(lead=factories.LeadFactory(owner_user=rep2))
    before = snapshot()
    response = rep_client.post(
        reverse("leads:remove-interest", args=[lead.pk, foreign.pk])
    )
    assert response.status_code == 404
    assert snapshot() == before


def test_inactive_product_is_refused_as_interest_and_opportunity_line(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    opportunity = factories.OpportunityFactory(owner_user=rep)
    retired = factories.ProductFactory(is_active=False)
    before = snapshot()
    response = rep_client.post(
        reverse("leads:add-interest", args=[lead.pk]),
        {"product": retired.pk, "quantity": "1"},
        follow=True,
    )
    assert any("not saved" in m for m in shown_messages(response))
    response = rep_client.post(
        reverse("accounts:opportunity-add-product", args=[opportunity.pk]),
        {"product": retired.pk, "quantity": "1", "price_per_unit": "10"},
    )
    assert response.status_code == 400
    assert "product" in response.context["product_form"].errors
    assert snapshot() == before
