"""A manager moves her Salesforce leads to LeadSite in Chromium: the
report export is mapped by itself (a topic from the company, owners matched by name
or email), a real worker imports it while the page shows the progress, and "Go to
leads" shows exactly the imported leads. Desktop and phone screenshots of the
upload, mapping and progress pages land in test-artifacts/."""

import csv

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from accounts.permissions import SALES_MANAGER, SALES_REP
from leads.models import ImportBatch, Lead
from tests import factories
from tests.browser.conftest import USER_WAIT_MS
from tests.import_files import salesforce_report_rows
from tests.support import ensure_roles

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def north(transactional_db):
    ensure_roles()
    unit = factories.BusinessUnitFactory(name="North")
    manager = factories.UserFactory(
        username="manager", first_name="Mia", last_name="Meyer", business_unit=unit
    )
    manager.groups.add(Group.objects.get(name=SALES_MANAGER))
    rex = factories.UserFactory(
        username="rex",
        first_name="Rex",
        last_name="Rep",
        email="rex@example.org",
        business_unit=unit,
    )
    rex.groups.add(Group.objects.get(name=SALES_REP))
    unit.default_owner = manager
    unit.save()
    return unit, manager, rex


def shots(page, name, locator=None):
    """Desktop and phone screenshots of the page (or one part of it)."""
    for size, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        path = f"test-artifacts/{name}-{suffix}.png"
        if locator is None:
            page.screenshot(path=path, full_page=True)
        else:
            page.locator(locator).screenshot(path=path)
    page.set_viewport_size(DESKTOP)


def test_salesforce_export_import_shows_exactly_its_leads(
    page, login, north, task_worker, tmp_path
):
    unit, manager, rex = north
    with task_worker.quiet():
        factories.LeadFactory(
            owner_user=manager, subject="Already here", last_name="Before"
        )
    path = tmp_path / "report1710412345678.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(salesforce_report_rows())

    login("manager")
    page.goto("/leads/import/")
    shots(page, "import-sf-upload")
    page.set_input_files("#id_file", str(path))
    page.click("#import-upload button[type=submit]")
    page.wait_for_selector("#import-preview", timeout=USER_WAIT_MS)

    # The mapping page recognised the export and proposes what it lacks.
    expect(page.locator("#import-system")).to_have_text(
        "recognised as a Salesforce export"
    )
    expect(page.locator("#id_fill_subject")).to_have_value("{company_name}")
    owners = page.locator("#preview-owners tbody tr")
    expect(owners).to_have_count(3)
    expect(owners.nth(0)).to_contain_text("Jon Snow")
    expect(owners.nth(0)).to_contain_text("not found")
    expect(owners.nth(1)).to_contain_text("Mia Meyer")
    expect(owners.nth(2)).to_contain_text("rex@example.org")
    expect(owners.nth(2)).to_contain_text(str(rex))
    expect(page.locator("#preview-rows tbody tr").first).to_contain_text(
        "Analytical Engines Ltd"
    )
    expect(page.locator("#preview-unknown")).to_contain_text("Carrier Pigeon")
    expect(page.locator("#start-import")).to_have_text("Start import of 3 rows")
    shots(page, "import-sf-mapping")

    page.click("#start-import")
    expect(page.locator("#import-progress h2")).to_have_text(
        "Finished", timeout=USER_WAIT_MS
    )
    expect(page.locator("#import-report")).to_contain_text("3")
    assert "The import has started." not in page.content()
    shots(page, "import-sf-progress")

    page.click("#go-to-leads")
    page.wait_for_url("**/leads/?view=all&import_batch=*")
    with task_worker.quiet():
        batch = ImportBatch.objects.get()
        imported = sorted(
            Lead.objects.exclude(last_name="Before").values_list("subject", flat=True)
        )
    assert imported == ["Analytical Engines Ltd", "Cobol Systems", "Enigma Labs"]
    rows = page.locator(".lead-table tbody tr")
    expect(rows).to_have_count(3)
    shown = sorted(
        rows.nth(i).locator("td").all_inner_texts().__str__() for i in range(3)
    )
    for subject in imported:
        assert any(subject in row for row in shown), (subject, shown)
    assert not any("Already here" in row for row in shown)
    expect(page.locator(".chips")).to_contain_text(
        f"From: Import #{batch.pk}: report1710412345678.csv"
    )
    shots(page, "import-sf-leads")
