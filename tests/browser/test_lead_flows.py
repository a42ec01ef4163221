"""A sales rep working leads in Chromium: capture, duplicate warning, qualify;
disqualify and reactivate. Screenshots land in test-artifacts/."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Account, Contact, Opportunity
from accounts.permissions import SALES_REP
from leads.models import Lead, LeadRating, LeadSource, LeadStatus
from tests import factories
from tests.support import ensure_roles


@pytest.fixture
def sales_rep(transactional_db):
    # Transactional tests flush the roles the data migration made: recreate them.
    unit = factories.BusinessUnitFactory(name="North")
    ensure_roles()
    group = Group.objects.get(name=SALES_REP)
    user = factories.UserFactory(
        username="rep", first_name="Rita", last_name="Reyes", business_unit=unit
    )
    user.groups.add(group)
    return user


def seed_leads(owner):
    """A few realistic open leads so the list reads like a working day."""
    campaign = factories.CampaignFactory(name="Spring trade fair")
    rows = [
        (
            "Ana",
            "Silva",
            "Mercado Foods",
            "Stock system for 12 stores",
            LeadRating.HOT,
            "48000",
        ),
        (
            "Ben",
            "Okafor",
            "Lagos Freight",
            "Fleet tracking pilot",
            LeadRating.WARM,
            "15000",
        ),
        (
            "Chloé",
            "Martin",
            "Atelier Martin",
            "Online shop relaunch",
            LeadRating.COLD,
            "6000",
        ),
        ("Dev", "Patel", "Patel & Sons", "Accounting add-on", LeadRating.WARM, "9500"),
    ]
    for index, (first, last, company, topic, rating, value) in enumerate(rows):
        factories.LeadFactory(
            owner_user=owner,
            first_name=first,
            last_name=last,
            company_name=company,
            subject=topic,
            rating=rating,
            estimated_value=Decimal(value),
            estimated_close_date=timezone.localdate()
            + datetime.timedelta(days=30 + index * 14),
            source=LeadSource.TRADE_SHOW if index % 2 else LeadSource.WEB,
            campaign=campaign if index % 2 else None,
            created_at=timezone.now() - datetime.timedelta(days=index + 1),
        )


def fill_lead_form(page, **values):
    for name, value in values.items():
        page.fill(f"[name={name}]", value)


def test_rep_captures_sees_duplicate_and_qualifies(page, login, sales_rep, screenshot):
    seed_leads(sales_rep)
    login("rep")
    page.goto("/leads/")
    assert page.locator("nav.tabs a.active").inner_text() == "My open leads"
    assert page.locator("table.lead-table tbody tr").count() == 4
    screenshot("lead-list")

    page.get_by_role("link", name="New lead").click()
    fill_lead_form(
        page,
        subject="CRM for 40 field engineers",
        first_name="Grace",
        last_name="Hopper",
        job_title="Head of Operations",
        email="grace@cobol.example",
        business_phone="+1 555 0100 200",
        company_name="Cobol Systems Inc.",
        website="cobol.example",
        city="Arlington",
        estimated_value="75000",
    )
    page.get_by_role("button", name="Create lead").click()
    page.wait_for_url("**/leads/*/")
    assert "created" in page.locator(".messages").inner_text()
    first = Lead.objects.get(email="grace@cobol.example")
    assert first.owner_user == sales_rep
    factories.LeadProductFactory(lead=first, quantity=Decimal("40"))
    page.reload()
    screenshot("lead-detail")

    page.goto("/leads/new/")
    fill_lead_form(
        page,
        subject="Follow-up request",
        last_name="Hopper",
        email="grace@cobol.example",
    )
    page.get_by_role("button", name="Create lead").click()
    warning = page.locator(".duplicates")
    expect(warning).to_be_visible()
    assert "same email" in warning.inner_text()
    assert warning.locator(f"a[href='/leads/{first.pk}/']").count() == 1
    screenshot("lead-duplicate-warning")
    assert Lead.objects.filter(email="grace@cobol.example").count() == 1

    page.goto(f"/leads/{first.pk}/")
    page.locator(".page-header .actions").get_by_role(
        "link", name="Qualify", exact=True
    ).click()
    page.wait_for_url(f"**/leads/{first.pk}/qualify/")
    screenshot("lead-qualify")
    page.get_by_role("button", name="Qualify", exact=True).click()
    page.wait_for_url(f"**/leads/{first.pk}/qualified/")
    assert page.locator("h1").inner_text() == "Lead qualified"
    account, contact = Account.objects.get(), Contact.objects.get()
    opportunity = Opportunity.objects.get()
    assert (
        page.locator("#qualified-account").get_attribute("href")
        == account.get_absolute_url()
    )
    assert (
        page.locator("#qualified-contact").get_attribute("href")
        == contact.get_absolute_url()
    )
    assert (
        page.locator("#qualified-opportunity").get_attribute("href")
        == opportunity.get_absolute_url()
    )
    assert account.name == "Cobol Systems Inc."
    screenshot("lead-qualified")


def test_rep_disqualifies_and_reactivates_a_lead(page, login, sales_rep, screenshot):
    lead = factories.LeadFactory(
        owner_user=sales_rep,
        first_name="Tom",
        last_name="Quiet",
        company_name="Silent Ltd",
    )
    login("rep")
    page.goto(f"/leads/{lead.pk}/")
    page.locator(".page-header .actions").get_by_role("link", name="Disqualify").click()
    page.get_by_label("Cannot Contact").check()
    page.fill("[name=description]", "Five calls, no answer.")
    screenshot("lead-disqualify")
    page.get_by_role("button", name="Disqualify", exact=True).click()
    page.wait_for_url(f"**/leads/{lead.pk}/")
    assert "Disqualified" in page.locator(".page-header .badges").inner_text()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CANNOT_CONTACT

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reactivate").click()
    expect(page.locator(".messages")).to_contain_text("Lead reactivated.")
    assert "New" in page.locator(".page-header .badges").inner_text()
    history = page.locator(".history").inner_text()
    assert "Disqualify" in history and "Reactivate" in history
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    screenshot("lead-reactivated")


def test_rep_is_told_who_owns_a_matching_lead_outside_their_scope(
    page, login, sales_rep, screenshot
):
    """The duplicate check sees a colleague's lead by its phone, typed
    another way, and names only its owner."""
    colleague = factories.UserFactory(
        first_name="Mia", last_name="Manager", business_unit=sales_rep.business_unit
    )
    theirs = factories.LeadFactory(
        owner_user=colleague,
        first_name="Wilhelmina",
        last_name="Quaintrelle",
        company_name="Obscura Holdings",
        business_phone="+1 (415) 555-9941",
    )
    login("rep")
    page.goto("/leads/new/")
    fill_lead_form(
        page, subject="Seats", last_name="Turing", business_phone="415.555.9941"
    )
    page.get_by_role("button", name="Create lead").click()
    warning = page.locator(".duplicates")
    expect(warning).to_contain_text(
        "A matching lead (same phone) exists, owned by Mia Manager."
    )
    text = warning.inner_text()
    assert "Quaintrelle" not in text and "Obscura" not in text
    assert warning.locator(f"a[href='/leads/{theirs.pk}/']").count() == 0
    screenshot("lead-duplicate-elsewhere")
    page.get_by_role("button", name="Save anyway").click()
    page.wait_for_url("**/leads/*/")
    assert Lead.objects.filter(last_name="Turing").count() == 1
