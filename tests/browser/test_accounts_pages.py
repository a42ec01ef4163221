"""A rep browses accounts and contacts and closes an opportunity as won."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Industry, Opportunity, OpportunityStatus
from tests import factories
from tests.support import ensure_roles


@pytest.fixture(autouse=True)
def _roles(transactional_db):
    """The role groups come from a data migration, which the flush after an earlier
    live-server test removes; recreate them."""
    ensure_roles()


def _book_of_business(rep, rep2):
    contoso = factories.AccountFactory(
        owner_user=rep,
        name="Contoso Pharmaceuticals",
        industry=Industry.DOCTORS_OFFICES,
        city="Redmond",
        phone="+1 425 555 0100",
        email="info@contoso.test",
        address_line1="1 Microsoft Way",
        postal_code="98052",
    )
    for first, last, title in [
        ("Kim", "Abercrombie", "Purchasing Manager"),
        ("Rene", "Valdes", "CTO"),
        ("Paul", "Cannon", "Head of Operations"),
    ]:
        factories.ContactFactory(
            owner_user=rep,
            account=contoso,
            first_name=first,
            last_name=last,
            job_title=title,
            city="Redmond",
        )
    for name, industry, partner in [
        ("Adventure Works Cycles", Industry.SERVICE_RETAIL, False),
        ("Fabrikam Software", Industry.BUSINESS_SERVICES, True),
        ("Litware Consulting", Industry.CONSULTING, False),
    ]:
        factories.AccountFactory(
            owner_user=rep, name=name, industry=industry, is_partner=partner
        )
    factories.AccountFactory(owner_user=rep2, name="Not Mine Holdings")
    opportunity = factories.OpportunityFactory(
        owner_user=rep,
        account=contoso,
        contact=contoso.contacts.get(last_name="Abercrombie"),
        name="Lab equipment renewal",
        estimated_value=Decimal("48000.00"),
        estimated_close_date=datetime.date(2030, 6, 30),
        description="Replace 40 benches in the Redmond lab.",
    )
    factories.OpportunityProductFactory(
        opportunity=opportunity,
        product=factories.ProductFactory(name="Lab bench", product_number="LB-100"),
        quantity=Decimal("40"),
        price_per_unit=Decimal("1200.00"),
    )
    return contoso, opportunity


def test_rep_browses_accounts_and_wins_an_opportunity(
    page, login, rep, rep2, screenshot
):
    contoso, opportunity = _book_of_business(rep, rep2)
    login("rep")

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Accounts"
    ).click()
    expect(page.get_by_role("heading", name="Accounts", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Contoso Pharmaceuticals")).to_be_visible()
    expect(page.get_by_text("Not Mine Holdings")).to_have_count(0)
    screenshot("accounts-list")

    page.get_by_role("link", name="Contoso Pharmaceuticals").click()
    expect(page.get_by_role("heading", name="Contoso Pharmaceuticals")).to_be_visible()
    contacts = page.locator("#contacts")
    for name in ["Kim Abercrombie", "Rene Valdes", "Paul Cannon"]:
        expect(contacts.get_by_role("link", name=name)).to_be_visible()
    screenshot("account-detail")

    page.get_by_role("link", name="Lab equipment renewal").first.click()
    expect(page.get_by_role("heading", name="Lab equipment renewal")).to_be_visible()
    expect(page.locator("#products")).to_contain_text("Lab bench")
    screenshot("opportunity-detail-open")
    page.get_by_role("link", name="Close as won").click()
    page.get_by_label("Actual revenue").fill("45500.00")
    page.get_by_label("Actual close date").fill("2030-05-15")
    screenshot("opportunity-win-form")
    page.get_by_role("button", name="Close as won").click()

    expect(page.locator(".message-success")).to_have_text("Opportunity closed as won.")
    expect(page.locator("h1 .badge-won")).to_have_text("Won")
    expect(page.locator("#history")).to_contain_text("In Progress → Won")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    screenshot("opportunity-detail-won")

    won = Opportunity.objects.get(pk=opportunity.pk)
    assert won.status == OpportunityStatus.WON
    assert won.actual_value == Decimal("45500.00")
    assert won.actual_close_date == datetime.date(2030, 5, 15)


def test_contact_form_searches_accounts_as_you_type(page, login, rep, rep2, screenshot):
    factories.AccountFactory.create_batch(55, owner_user=rep)
    target = factories.AccountFactory(owner_user=rep, name="Zzyzx Late Alphabet Inc")
    factories.AccountFactory(owner_user=rep2, name="Zzyzx Someone Else")
    login("rep")
    page.goto("/contacts/new/")
    combobox = page.get_by_role("combobox", name="Company (parent account)")
    combobox.fill("zzyzx")
    listbox = page.get_by_role("listbox")
    expect(
        listbox.get_by_role("option", name="Zzyzx Late Alphabet Inc")
    ).to_be_visible()
    expect(listbox.get_by_role("option", name="Someone Else")).to_have_count(0)
    listbox.get_by_role("option", name="Zzyzx Late Alphabet Inc").click()
    expect(page.locator("select#id_account-select")).to_have_value(str(target.pk))
    screenshot("contact-form")
    page.get_by_label("Last name").fill("Newman")
    page.get_by_role("button", name="Create contact").click()
    expect(page.get_by_role("heading", name="Newman")).to_be_visible()
    expect(page.locator(".subtitle")).to_contain_text("Zzyzx Late Alphabet Inc")
    screenshot("contact-detail")
