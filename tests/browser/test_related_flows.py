"""A rep works a lead's timeline through to a won opportunity, and merges duplicates."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Opportunity, OpportunityStatus
from leads.models import Attachment, Lead, LeadStatus, Note
from tests import factories
from tests.support import ensure_roles

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _roles(transactional_db):
    """Role groups come from a data migration that a live-server flush removes."""
    ensure_roles()


def _open_section(page, summary):
    details = page.locator(
        "#timeline details", has=page.locator("summary", has_text=summary)
    )
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def test_rep_logs_notes_files_links_and_sees_them_on_the_won_opportunity(
    page, login, rep, tmp_path, screenshot
):
    lead = factories.LeadFactory(
        owner_user=rep,
        first_name="Ana",
        last_name="Trujillo",
        company_name="Trey Research",
        subject="Lab automation for Trey",
        original_message="We need 12 robots before summer. Please call.",
        estimated_value=Decimal("30000.00"),
        estimated_close_date=datetime.date(2030, 6, 30),
    )
    factories.LeadProductFactory(
        lead=lead, product=factories.ProductFactory(name="Lab robot"), quantity=12
    )
    account = factories.AccountFactory(owner_user=rep, name="Trey Research Holdings")
    for name in ("Alpine Ski House", "Coho Winery", "Fourth Coffee"):
        factories.AccountFactory(owner_user=rep, name=name)
    pdf_path = tmp_path / "offer.pdf"
    pdf_path.write_bytes(PDF)
    login("rep")
    page.goto(lead.get_absolute_url())
    expect(page.get_by_text("We need 12 robots before summer.")).to_be_visible()

    form = _open_section(page, "Log activity")
    form.get_by_label("Kind").select_option("phone_call")
    form.get_by_label("Direction").select_option("outgoing")
    form.get_by_label("Subject").fill("Discovery call")
    form.get_by_label("Already done").check()
    form.get_by_role("button", name="Log activity").click()
    expect(page.locator(".message-success")).to_have_text("Phone call logged.")

    form = _open_section(page, "Add note")
    form.get_by_label("Title").fill("Budget")
    form.get_by_label("Text").fill("Budget approved by the lab director.")
    form.get_by_role("button", name="Add note").click()
    expect(page.locator(".message-success")).to_have_text("Note added.")

    form = _open_section(page, "Upload file")
    form.get_by_label("File").set_input_files(str(pdf_path))
    form.get_by_role("button", name="Upload").click()
    expect(page.locator(".message-success")).to_have_text("“offer.pdf” uploaded.")

    timeline = page.locator("#timeline ol.timeline")
    expect(timeline).to_contain_text("Discovery call")
    expect(timeline).to_contain_text("Budget approved by the lab director.")
    with page.expect_download() as download_info:
        timeline.get_by_role("link", name="offer.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "offer.pdf"
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == PDF

    page.get_by_text("Link an account").click()
    # The picker is loaded when the disclosure opens, then turned into a combobox.
    page.locator("select[name=account][data-combobox-ready]").wait_for(state="attached")
    picker = page.get_by_role("combobox", name="Account")
    picker.fill("holdings")
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(1)  # the search narrowed the list
    picker.press("ArrowDown")
    picker.press("Enter")
    page.get_by_role("button", name="Link account").click()
    expect(page.locator(".message-success")).to_have_text(
        "Account “Trey Research Holdings” linked."
    )
    expect(page.locator("#related .link-list")).to_contain_text(
        "Trey Research Holdings"
    )
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONTACTED
    screenshot("lead-timeline")

    page.goto(account.get_absolute_url())
    expect(page.locator("#related")).to_contain_text("Lab automation for Trey")
    form = _open_section(page, "Add note")
    form.get_by_label("Text").fill("Parent company of Trey Research.")
    form.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline")).to_contain_text(
        "Parent company of Trey Research."
    )
    screenshot("account-timeline")

    page.goto(f"/leads/{lead.pk}/qualify/")
    page.get_by_role("button", name="Qualify").click()
    expect(page.get_by_role("heading", name="Lead qualified")).to_be_visible()
    page.locator("#qualified-opportunity").click()
    expect(page.locator("#timeline")).to_contain_text(
        "Budget approved by the lab director."
    )
    expect(page.locator("#timeline")).to_contain_text("Discovery call")
    expect(page.locator("#related")).to_contain_text("Originating lead")
    screenshot("opportunity-timeline")

    opportunity = Opportunity.objects.get(originating_leads=lead)
    page.get_by_role("link", name="Close as won").click()
    page.get_by_label("Actual revenue").fill("29000.00")
    page.get_by_label("Actual close date").fill("2030-05-15")
    page.get_by_role("button", name="Close as won").click()
    expect(page.locator(".message-success")).to_have_text("Opportunity closed as won.")
    assert Opportunity.objects.get(pk=opportunity.pk).status == OpportunityStatus.WON
    assert Note.objects.filter(lead=lead).count() == 1
    assert Attachment.objects.filter(lead=lead).count() == 1


def test_rep_merges_two_duplicate_leads(page, login, rep, screenshot):
    lead_a = factories.LeadFactory(
        owner_user=rep,
        first_name="Ben",
        last_name="Miller",
        company_name="Northwind Traders",
        email="ben@northwind.test",
        job_title="",
    )
    lead_b = factories.LeadFactory(
        owner_user=rep,
        first_name="Ben",
        last_name="Miller",
        company_name="Northwind Traders",
        email="ben.miller@northwind.test",
        job_title="Buyer",
    )
    factories.NoteFactory(lead=lead_a, text="Asked for a catalogue", created_by=rep)
    login("rep")
    page.goto(lead_a.get_absolute_url())
    page.get_by_role("link", name="Merge with…").click()
    page.get_by_role("link", name="Compare and merge").click()
    expect(page.get_by_role("heading", name="Merge leads")).to_be_visible()
    # B survives: its values become the default choice for every differing field.
    page.get_by_label(f"#{lead_b.pk} ").check()
    expect(page.get_by_label("Buyer")).to_be_checked()
    page.get_by_label("ben@northwind.test").check()
    screenshot("lead-merge")
    page.get_by_role("button", name="Merge").click()

    expect(page.locator(".message-success")).to_contain_text("Leads merged into")
    expect(page.locator("#related")).to_contain_text("Merged into this lead")
    expect(page.locator("#timeline")).to_contain_text("Asked for a catalogue")
    survivor = Lead.objects.get(pk=lead_b.pk)
    assert (survivor.email, survivor.job_title) == ("ben@northwind.test", "Buyer")
    assert survivor.subject == lead_b.subject
    page.goto(lead_a.get_absolute_url())
    expect(page.get_by_text("This lead was merged into")).to_be_visible()
    merged = Lead.objects.get(pk=lead_a.pk)
    assert merged.merged and merged.master_id == lead_b.pk
