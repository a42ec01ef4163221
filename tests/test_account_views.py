"""Account, contact and opportunity pages: lists, details, forms, outcome, autocomplete."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_fsm_log.models import StateLog

from accounts.models import (
    Account,
    Contact,
    Industry,
    Opportunity,
    OpportunityState,
    OpportunityStatus,
)
from tests import factories
from tests.reading import page


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _query_count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- lists ---------------------------------------------------------------------------


def test_account_list_shows_only_records_in_scope(rep_client, rep, rep2):
    factories.AccountFactory(owner_user=rep, name="Mine Inc")
    factories.AccountFactory(owner_user=rep2, name="Theirs Ltd")
    html = rep_client.get(reverse("accounts:account-list")).content.decode()
    assert "Mine Inc" in html
    assert "Theirs Ltd" not in html


def test_account_list_includes_team_records(rep_client, rep, org):
    team = factories.TeamFactory(business_unit=org.north, members=[rep])
    factories.AccountFactory(owner_user=None, owner_team=team, name="Team Account")
    assert "Team Account" in rep_client.get("/accounts/").content.decode()


def test_manager_sees_accounts_of_their_business_unit(manager_client, rep, rep2):
    factories.AccountFactory(owner_user=rep, name="North Co")
    factories.AccountFactory(owner_user=rep2, name="South Co")
    html = manager_client.get("/accounts/").content.decode()
    assert "North Co" in html
    assert "South Co" not in html


def test_account_list_search_and_filters(rep_client, rep):
    factories.AccountFactory(
        owner_user=rep, name="Alpine Skis", industry=Industry.SERVICE_RETAIL
    )
    factories.AccountFactory(
        owner_user=rep,
        name="Blue Software",
        industry=Industry.BUSINESS_SERVICES,
        is_partner=True,
    )
    html = rep_client.get("/accounts/", {"q": "alpine"}).content.decode()
    assert "Alpine Skis" in html and "Blue Software" not in html
    html = rep_client.get(
        "/accounts/", {"industry": Industry.BUSINESS_SERVICES}
    ).content.decode()
    assert "Blue Software" in html and "Alpine Skis" not in html
    html = rep_client.get("/accounts/", {"is_partner": "true"}).content.decode()
    assert "Blue Software" in html and "Alpine Skis" not in html


def test_list_ignores_invalid_filter_values(rep_client, rep):
    factories.AccountFactory(owner_user=rep, name="Still Here")
    response = rep_client.get("/accounts/", {"industry": "nonsense", "page": "1"})
    assert response.status_code == 200
    assert "Still Here" in response.content.decode()


def test_contact_list_search_by_full_name_and_account(rep_client, rep):
    account = factories.AccountFactory(owner_user=rep, name="Fabrikam")
    factories.ContactFactory(
        owner_user=rep, first_name="Ada", last_name="Lovelace", account=account
    )
    factories.ContactFactory(owner_user=rep, first_name="Alan", last_name="Turing")
    html = rep_client.get("/contacts/", {"q": "ada lovelace"}).content.decode()
    assert "Ada Lovelace" in html and "Alan Turing" not in html
    html = rep_client.get("/contacts/", {"q": "fabrikam"}).content.decode()
    assert "Ada Lovelace" in html and "Alan Turing" not in html
    html = rep_client.get("/contacts/", {"account": account.pk}).content.decode()
    assert "Ada Lovelace" in html and "Alan Turing" not in html


def test_opportunity_list_state_tabs(rep_client, rep):
    factories.OpportunityFactory(owner_user=rep, name="Open deal")
    factories.OpportunityFactory(owner_user=rep, name="Won deal", won=True)
    html = rep_client.get("/opportunities/", {"state": OpportunityState.WON}).content
    assert b"Won deal" in html and b"Open deal" not in html
    html = rep_client.get("/opportunities/", {"state": OpportunityState.OPEN}).content
    assert b"Open deal" in html and b"Won deal" not in html


def test_mine_only_filter(manager_client, manager, rep):
    factories.OpportunityFactory(owner_user=manager, name="Manager deal")
    factories.OpportunityFactory(owner_user=rep, name="Rep deal")
    html = manager_client.get("/opportunities/").content.decode()
    assert "Manager deal" in html and "Rep deal" in html
    html = manager_client.get("/opportunities/", {"mine": "on"}).content.decode()
    assert "Manager deal" in html and "Rep deal" not in html


def test_lists_paginate_by_50(rep_client, rep):
    factories.ContactFactory.create_batch(55, owner_user=rep)
    first = rep_client.get("/contacts/")
    assert len(first.context["object_list"]) == 50
    assert "Page 1 of 2" in first.content.decode()
    second = rep_client.get("/contacts/", {"page": 2})
    assert len(second.context["object_list"]) == 5


@pytest.mark.parametrize(
    ("url", "make"),
    [
        (
            "/accounts/",
            lambda rep, n: factories.AccountFactory.create_batch(n, owner_user=rep),
        ),
        (
            "/contacts/",
            lambda rep, n: factories.ContactFactory.create_batch(
                n, owner_user=rep, account=factories.AccountFactory(owner_user=rep)
            ),
        ),
        (
            "/opportunities/",
            lambda rep, n: factories.OpportunityFactory.create_batch(
                n, owner_user=rep, contact=factories.ContactFactory(owner_user=rep)
            ),
        ),
    ],
)
def test_list_query_count_does_not_grow_with_rows(
    rep_client, rep, url, make, django_assert_max_num_queries
):
    make(rep, 10)
    few = _query_count(rep_client, url)
    make(rep, 50)
    with django_assert_max_num_queries(few):
        response = rep_client.get(url, {"q": "", "mine": "on"})
    assert len(response.context["object_list"]) == 50


# --- detail pages --------------------------------------------------------------------


def test_account_detail_shows_contacts_and_opportunities(rep_client, rep):
    account = factories.AccountFactory(owner_user=rep, name="Contoso Ltd")
    factories.ContactFactory(
        owner_user=rep, account=account, first_name="Kim", last_name="Abercrombie"
    )
    factories.OpportunityFactory(owner_user=rep, account=account, name="Fleet renewal")
    html = rep_client.get(account.get_absolute_url()).content.decode()
    assert "Contoso Ltd" in html
    assert "Kim Abercrombie" in html
    assert "Fleet renewal" in html


def test_account_detail_hides_related_records_out_of_scope(rep_client, rep, rep2):
    account = factories.AccountFactory(owner_user=rep)
    factories.ContactFactory(owner_user=rep2, account=account, last_name="Hidden")
    assert "Hidden" not in rep_client.get(account.get_absolute_url()).content.decode()


def test_contact_detail_shows_its_account(rep_client, rep):
    account = factories.AccountFactory(owner_user=rep, name="Litware")
    contact = factories.ContactFactory(owner_user=rep, account=account)
    html = rep_client.get(contact.get_absolute_url()).content.decode()
    assert f'href="{account.get_absolute_url()}"' in html
    assert "Litware" in html


def test_contact_detail_names_an_out_of_scope_account_without_a_link(
    rep_client, rep, rep2
):
    account = factories.AccountFactory(owner_user=rep2, name="Elsewhere")
    contact = factories.ContactFactory(owner_user=rep, account=account)
    html = rep_client.get(contact.get_absolute_url()).content.decode()
    assert "Elsewhere" in html
    assert f'href="{account.get_absolute_url()}"' not in html


def test_opportunity_detail_shows_customer_value_products(rep_client, rep):
    opportunity = factories.OpportunityFactory(
        owner_user=rep,
        estimated_value=Decimal("12345.00"),
        estimated_close_date=datetime.date(2030, 1, 31),
    )
    factories.OpportunityProductFactory(
        opportunity=opportunity,
        product=factories.ProductFactory(name="Gadget"),
        quantity=Decimal("2"),
        price_per_unit=Decimal("50"),
    )
    html = rep_client.get(opportunity.get_absolute_url()).content.decode()
    assert opportunity.account.name in html
    assert "12,345.00" in html
    assert "Jan 31, 2030" in html  # the one English date format (leadsite/formats/en)
    assert "Gadget" in html
    assert "Close as won" in html and "Close as lost" in html
    assert "Reopen" not in html


def test_won_opportunity_offers_reopen_and_shows_history(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    rep_client.post(
        reverse("accounts:opportunity-win", args=[opportunity.pk]),
        {"actual_value": "900", "actual_close_date": "2025-01-02"},
    )
    html = rep_client.get(opportunity.get_absolute_url()).content.decode()
    assert "Reopen" in html and "Close as won" not in html
    assert "In Progress &rarr; Won" in html
    badge = page(html).find("h1").find(css="badge")
    assert (badge.text, badge.classes) == ("Won", {"badge", "badge-won"})


@pytest.mark.parametrize("kind", ["account", "contact", "opportunity"])
def test_detail_query_count_does_not_grow_with_related_rows(
    rep_client, rep, kind, django_assert_max_num_queries
):
    account = factories.AccountFactory(owner_user=rep)
    contact = factories.ContactFactory(owner_user=rep, account=account)
    opportunity = factories.OpportunityFactory(
        owner_user=rep, account=account, contact=contact
    )
    record = {"account": account, "contact": contact, "opportunity": opportunity}[kind]

    def grow(n):
        factories.ContactFactory.create_batch(n, owner_user=rep, account=account)
        factories.OpportunityFactory.create_batch(
            n, owner_user=rep, account=account, contact=contact
        )
        for _ in range(n):
            factories.OpportunityProductFactory(opportunity=opportunity)

    grow(1)
    few = _query_count(rep_client, record.get_absolute_url())
    grow(15)
    with django_assert_max_num_queries(few):
        rep_client.get(record.get_absolute_url())


@pytest.mark.parametrize("kind", ["account", "contact", "opportunity"])
def test_records_of_another_rep_are_404(rep_client, rep2, kind):
    record = {
        "account": factories.AccountFactory,
        "contact": factories.ContactFactory,
        "opportunity": factories.OpportunityFactory,
    }[kind](owner_user=rep2)
    assert rep_client.get(record.get_absolute_url()).status_code == 404
    edit = reverse(f"accounts:{kind}-edit", args=[record.pk])
    assert rep_client.get(edit).status_code == 404
    assert rep_client.post(edit, {"name": "x", "last_name": "x"}).status_code == 404


def test_outcome_actions_on_another_reps_opportunity_are_404(rep_client, rep2):
    opportunity = factories.OpportunityFactory(owner_user=rep2)
    for name in ["win", "lose", "reopen", "add-product"]:
        url = reverse(f"accounts:opportunity-{name}", args=[opportunity.pk])
        assert rep_client.post(url, {}).status_code == 404
    line = factories.OpportunityProductFactory(opportunity=opportunity)
    url = reverse("accounts:opportunity-remove-product", args=[opportunity.pk, line.pk])
    assert rep_client.post(url).status_code == 404
    assert Opportunity.objects.get(pk=opportunity.pk).is_open
    assert opportunity.product_lines.exists()


# --- create / edit -------------------------------------------------------------------


def test_create_account_owned_by_creator(rep_client, rep):
    response = rep_client.post(
        reverse("accounts:account-create"),
        {"name": "Northwind Traders", "email": "hello@northwind.test", "industry": ""},
    )
    account = Account.objects.get(name="Northwind Traders")
    assert response.status_code == 302 and response.url == account.get_absolute_url()
    assert (account.owner_user, account.business_unit) == (rep, rep.business_unit)
    assert _messages(response) == ["Account Northwind Traders created."]


def test_create_account_errors_beside_fields(rep_client):
    response = rep_client.post(
        reverse("accounts:account-create"), {"name": "", "email": "nope"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_name_error"' in html
    assert 'id="id_email_error"' in html
    assert not Account.objects.exists()


def test_account_form_groups_fields_in_fieldsets(rep_client):
    html = rep_client.get(reverse("accounts:account-create")).content.decode()
    for legend in ["Account", "Contact details", "Company profile", "Address"]:
        assert f"<legend>{legend}</legend>" in html
    assert "data-autocomplete-url" in html


def test_edit_account(rep_client, rep):
    account = factories.AccountFactory(owner_user=rep, name="Before")
    response = rep_client.post(
        reverse("accounts:account-edit", args=[account.pk]),
        {"name": "After", "is_partner": "on", "version": account.version},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.is_partner) == ("After", True)


def test_edit_account_parent_cycle_is_a_form_error(rep_client, rep):
    parent = factories.AccountFactory(owner_user=rep)
    child = factories.AccountFactory(owner_user=rep, parent_account=parent)
    response = rep_client.post(
        reverse("accounts:account-edit", args=[parent.pk]),
        {"name": parent.name, "parent_account": child.pk, "version": parent.version},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["parent_account"] == [
        "An account cannot be its own parent or ancestor."
    ]


def test_create_contact_for_account(rep_client, rep):
    account = factories.AccountFactory(owner_user=rep)
    form_page = rep_client.get(
        reverse("accounts:contact-create"), {"account": account.pk}
    )
    assert f'<option value="{account.pk}" selected>' in form_page.content.decode()
    response = rep_client.post(
        reverse("accounts:contact-create"),
        {"first_name": "Nancy", "last_name": "Davolio", "account": account.pk},
    )
    contact = Contact.objects.get(last_name="Davolio")
    assert response.url == contact.get_absolute_url()
    assert (contact.account, contact.owner_user) == (account, rep)


def test_contact_with_tampered_account_id_is_a_form_error(rep_client, rep2):
    foreign = factories.AccountFactory(owner_user=rep2)
    response = rep_client.post(
        reverse("accounts:contact-create"),
        {"last_name": "Sneaky", "account": foreign.pk},
    )
    assert response.status_code == 200
    assert "account" in response.context["form"].errors
    assert not Contact.objects.filter(last_name="Sneaky").exists()


def test_edit_contact_with_tampered_account_id_is_a_form_error(rep_client, rep, rep2):
    contact = factories.ContactFactory(owner_user=rep)
    foreign = factories.AccountFactory(owner_user=rep2)
    response = rep_client.post(
        reverse("accounts:contact-edit", args=[contact.pk]),
        {"last_name": contact.last_name, "account": foreign.pk},
    )
    assert "account" in response.context["form"].errors
    contact.refresh_from_db()
    assert contact.account is None


def test_create_opportunity_for_contact(rep_client, rep):
    contact = factories.ContactFactory(owner_user=rep)
    response = rep_client.post(
        reverse("accounts:opportunity-create"),
        {
            "name": "New fleet",
            "contact": contact.pk,
            "estimated_value": "1000",
            "estimated_close_date": "2030-06-30",
            "sales_stage": "1",
            "close_probability": "35",
        },
    )
    opportunity = Opportunity.objects.get(name="New fleet")
    assert response.url == opportunity.get_absolute_url()
    assert (opportunity.contact, opportunity.account, opportunity.owner_user) == (
        contact,
        None,
        rep,
    )
    assert opportunity.status == OpportunityStatus.IN_PROGRESS
    assert (opportunity.sales_stage, opportunity.close_probability) == (1, 35)


def test_create_opportunity_needs_a_customer(rep_client):
    response = rep_client.post(
        reverse("accounts:opportunity-create"), {"name": "Nobody"}
    )
    assert response.context["form"].errors["account"] == [
        "Choose the customer: an account or a contact."
    ]


def test_opportunity_with_tampered_customer_ids_is_a_form_error(rep_client, rep2):
    response = rep_client.post(
        reverse("accounts:opportunity-create"),
        {
            "name": "Stolen",
            "account": factories.AccountFactory(owner_user=rep2).pk,
            "contact": factories.ContactFactory(owner_user=rep2).pk,
        },
    )
    errors = response.context["form"].errors
    assert "account" in errors and "contact" in errors
    assert not Opportunity.objects.filter(name="Stolen").exists()


def test_edit_closed_opportunity_redirects_with_message(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, won=True)
    response = rep_client.get(
        reverse("accounts:opportunity-edit", args=[opportunity.pk])
    )
    assert response.status_code == 302
    assert "reopen it" in _messages(response)[0]


# --- outcome -------------------------------------------------------------------------


def test_win_form_prefills_estimated_value(rep_client, rep):
    opportunity = factories.OpportunityFactory(
        owner_user=rep, estimated_value=Decimal("777")
    )
    response = rep_client.get(
        reverse("accounts:opportunity-win", args=[opportunity.pk])
    )
    assert response.context["form"].initial["actual_value"] == Decimal("777")


def test_win_opportunity_through_the_form(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    response = rep_client.post(
        reverse("accounts:opportunity-win", args=[opportunity.pk]),
        {"actual_value": "4321.00", "actual_close_date": "2025-02-03"},
    )
    assert response.url == opportunity.get_absolute_url()
    assert _messages(response) == ["Opportunity closed as won."]
    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.WON
    assert opportunity.actual_value == Decimal("4321.00")


def test_win_without_value_shows_error_beside_field(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    response = rep_client.post(
        reverse("accounts:opportunity-win", args=[opportunity.pk]),
        {"actual_value": "", "actual_close_date": ""},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_actual_value_error"' in html
    assert 'id="id_actual_close_date_error"' in html
    assert Opportunity.objects.get(pk=opportunity.pk).is_open


def test_win_twice_from_a_stale_page_is_a_message_not_an_error(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    url = reverse("accounts:opportunity-win", args=[opportunity.pk])
    data = {"actual_value": "10", "actual_close_date": "2025-02-03"}
    rep_client.post(url, data)
    response = rep_client.post(url, {**data, "actual_value": "20"})
    assert response.status_code == 302
    assert _messages(response)[-1] == "Cannot win this opportunity: it is won now."
    assert Opportunity.objects.get(pk=opportunity.pk).actual_value == Decimal("10")
    # Opening the form of a closed opportunity also explains instead of failing.
    response = rep_client.get(url)
    assert response.status_code == 302
    assert "cannot be closed now" in _messages(response)[-1]


def test_lose_opportunity_through_the_form(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    response = rep_client.post(
        reverse("accounts:opportunity-lose", args=[opportunity.pk]),
        {"reason": OpportunityStatus.OUT_SOLD, "description": "Price"},
    )
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.OUT_SOLD
    assert StateLog.objects.for_(opportunity).get().description == "Price"


def test_lose_with_invalid_reason_is_a_form_error(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    response = rep_client.post(
        reverse("accounts:opportunity-lose", args=[opportunity.pk]),
        {"reason": OpportunityStatus.WON},
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert Opportunity.objects.get(pk=opportunity.pk).is_open


def test_reopen_through_the_button(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, lost=True)
    url = reverse("accounts:opportunity-reopen", args=[opportunity.pk])
    response = rep_client.post(url)
    assert _messages(response) == ["Opportunity reopened."]
    assert Opportunity.objects.get(pk=opportunity.pk).is_open
    response = rep_client.post(url)
    assert response.status_code == 302
    assert _messages(response)[-1] == "This opportunity is already open."


def test_reopen_needs_post(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, lost=True)
    response = rep_client.get(
        reverse("accounts:opportunity-reopen", args=[opportunity.pk])
    )
    assert response.status_code == 405


# --- product lines -------------------------------------------------------------------


def test_add_and_remove_product_line(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    product = factories.ProductFactory(name="Sprocket", price=Decimal("30"))
    response = rep_client.post(
        reverse("accounts:opportunity-add-product", args=[opportunity.pk]),
        {"product": product.pk, "quantity": "4", "price_per_unit": "", "note": ""},
    )
    assert response.status_code == 302
    line = opportunity.product_lines.get()
    assert (line.quantity, line.price_per_unit) == (Decimal("4"), Decimal("30"))
    html = rep_client.get(opportunity.get_absolute_url()).content.decode()
    assert "Sprocket" in html and "120.00" in html
    remove = reverse(
        "accounts:opportunity-remove-product", args=[opportunity.pk, line.pk]
    )
    assert rep_client.post(remove).status_code == 302
    assert not opportunity.product_lines.exists()
    response = rep_client.post(remove)
    assert _messages(response)[-1] == "That product line was already removed."


def test_add_duplicate_product_shows_error_beside_product(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    line = factories.OpportunityProductFactory(opportunity=opportunity)
    response = rep_client.post(
        reverse("accounts:opportunity-add-product", args=[opportunity.pk]),
        {"product": line.product.pk, "quantity": "1"},
    )
    assert response.status_code == 400
    assert 'id="id_product_error"' in response.content.decode()
    assert opportunity.product_lines.count() == 1


def test_add_product_to_closed_opportunity_is_a_message(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, won=True)
    response = rep_client.post(
        reverse("accounts:opportunity-add-product", args=[opportunity.pk]),
        {"product": factories.ProductFactory().pk, "quantity": "1"},
    )
    assert response.status_code == 302
    assert "reopen it" in _messages(response)[0]


# --- autocomplete --------------------------------------------------------------------


def test_account_autocomplete_is_scoped_and_searches(rep_client, rep, rep2):
    mine = factories.AccountFactory(owner_user=rep, name="Adventure Works", city="")
    factories.AccountFactory(owner_user=rep, name="Blue Yonder")
    factories.AccountFactory(owner_user=rep2, name="Adventure Elsewhere")
    response = rep_client.get(reverse("accounts:account-autocomplete"), {"q": "advent"})
    assert response.content.decode().strip() == (
        f'<option value="{mine.pk}">Adventure Works</option>'
    )


def test_account_autocomplete_partner_only(rep_client, rep):
    partner = factories.AccountFactory(
        owner_user=rep, name="Partner Co", is_partner=True
    )
    factories.AccountFactory(owner_user=rep, name="Plain Co")
    html = rep_client.get(
        reverse("accounts:account-autocomplete"), {"partner": "1"}
    ).content.decode()
    assert f'value="{partner.pk}"' in html and "Plain Co" not in html


def test_autocomplete_returns_at_most_20(rep_client, rep):
    factories.ContactFactory.create_batch(25, owner_user=rep, last_name="Smith")
    html = rep_client.get(
        reverse("accounts:contact-autocomplete"), {"q": "smith"}
    ).content.decode()
    assert html.count("<option") == 20


def test_contact_autocomplete_searches_email_and_is_scoped(rep_client, rep, rep2):
    account = factories.AccountFactory(owner_user=rep, name="Tailspin")
    mine = factories.ContactFactory(
        owner_user=rep,
        first_name="Ann",
        last_name="Beebe",
        email="ann@tailspin.test",
        account=account,
    )
    factories.ContactFactory(owner_user=rep2, email="ann@other.test")
    html = rep_client.get(
        reverse("accounts:contact-autocomplete"), {"q": "ann@"}
    ).content.decode()
    assert html.strip() == f'<option value="{mine.pk}">Ann Beebe · Tailspin</option>'


def test_record_select_renders_few_options_but_validates_all(rep_client, rep):
    accounts = factories.AccountFactory.create_batch(60, owner_user=rep)
    last = sorted(accounts, key=lambda a: (a.name, a.pk))[-1]
    html = rep_client.get(reverse("accounts:contact-create")).content.decode()
    form = html[html.index("<main") : html.index("</main>")]
    assert form.count("<option") <= 51
    response = rep_client.post(
        reverse("accounts:contact-create"), {"last_name": "Late", "account": last.pk}
    )
    assert response.status_code == 302
    assert Contact.objects.get(last_name="Late").account == last
