"""The privacy officer in Chromium: finds a person by email address on the privacy
page, downloads their access export (a ZIP whose manifest lists every file), then
erases them after reading what goes and what stays; the erasure's log page shows
the rows changed and the files checked gone. Desktop (1280) and phone (390)
screenshots of the privacy page and the erasure confirmation in test-artifacts/."""

import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from accounts.permissions import PRIVACY_OFFICER
from leads.models import Attachment, Lead
from leads.services.timeline import add_attachment, add_note
from privacy.models import Erasure, ErasureStatus
from tests import factories
from tests.browser.conftest import save_screenshot
from tests.support import user_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
EMAIL = "amara.lindqvist@fjord.example"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def person(org, rep):
    user_in(PRIVACY_OFFICER, username="privacy", business_unit=org.root)
    lead = factories.LeadFactory(
        owner_user=rep,
        first_name="Amara",
        last_name="Lindqvist",
        email=EMAIL,
        business_phone="+46 8 555 0101",
        company_name="Fjord Freight",
    )
    add_note(record=lead, by=rep, text="Amara wants a quote for 40 seats.")
    add_attachment(
        record=lead,
        by=rep,
        upload=SimpleUploadedFile("brief.pdf", PDF, content_type="application/pdf"),
    )
    contact = factories.ContactFactory(
        owner_user=rep, first_name="Amara", last_name="Lindqvist", email=EMAIL
    )
    return lead, contact


def _search(page):
    page.goto("/privacy/")
    page.get_by_label("Email address").fill(EMAIL)
    page.locator("#privacy-search button[type=submit]").click()
    expect(page.locator("#privacy-results tbody tr")).to_have_count(2)


def test_a_privacy_officer_finds_exports_and_erases_a_person(
    page, login, person, tmp_path
):
    lead, contact = person
    login("privacy")
    expect(page.locator(".mainnav a", has_text="Privacy")).to_be_visible()

    # Phone first: the privacy page with the person found, and the confirmation.
    page.set_viewport_size(PHONE)
    _search(page)
    save_screenshot(page, "test-artifacts/privacy-search-390.png")
    page.locator("#erase-found").click()
    expect(page.get_by_role("heading", name="Erase this person")).to_be_visible()
    save_screenshot(page, "test-artifacts/privacy-erase-confirm-390.png")

    page.set_viewport_size(DESKTOP)
    _search(page)
    save_screenshot(page, "test-artifacts/privacy-search-1280.png")

    page.locator("#export-found").click()
    expect(page.locator("#export-records li")).to_have_count(2)
    with page.expect_download() as download_info:
        page.locator("#download-export").click()
    path = tmp_path / "export.zip"
    download_info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert {e["path"] for e in manifest["files"]} == set(archive.namelist()) - {
            "manifest.json"
        }
        record = json.loads(archive.read(f"leads/{lead.pk}/lead.json"))[0]
        assert record["email"] == EMAIL
        assert manifest["counts"]["attachment files"] == 1

    _search(page)
    page.locator("#erase-found").click()
    expect(page.locator("#erase-records li")).to_have_count(2)
    expect(page.get_by_role("heading", name="What stays")).to_be_visible()
    save_screenshot(page, "test-artifacts/privacy-erase-confirm-1280.png")
    page.get_by_label("Your reference").fill("DSR-2026-031")
    page.locator("#confirm-erase").click()

    page.wait_for_url("**/privacy/erasures/*/")
    expect(page.locator("#erasure-status")).to_have_text("Done")
    expect(page.locator("#erasure-files tbody tr")).to_have_count(1)
    expect(page.locator("#erasure-files")).to_contain_text("Gone")
    save_screenshot(page, "test-artifacts/privacy-erasure-done-1280.png")

    erasure = Erasure.objects.get()
    assert (erasure.status, erasure.reference) == (ErasureStatus.DONE, "DSR-2026-031")
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.first_name, lead.last_name, lead.email) == ("", "[erased]", "")
    assert not Attachment.objects.exists()

    page.goto(f"/privacy/?email={EMAIL}")
    expect(page.locator("#privacy-results")).to_have_count(0)
    expect(page.locator("#recent-erasures li")).to_have_count(1)
