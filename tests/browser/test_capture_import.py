"""Getting leads in and out in Chromium: a visitor's capture form (twice), a
manager's 1,000-row import with 10 bad rows (read, run and undone by a real task
worker while the page shows its progress), and an export imported back unchanged.
Screenshots land in test-artifacts/."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from accounts.permissions import SALES_MANAGER
from leads.models import ImportBatch, Lead
from tests import factories
from tests.browser.conftest import USER_WAIT_MS
from tests.support import ensure_roles

FIELDS = ["subject", "owner_user_id", "last_name", "email", "company_name", "source"]


@pytest.fixture
def north(transactional_db):
    ensure_roles()
    unit = factories.BusinessUnitFactory(name="North")
    manager = factories.UserFactory(
        username="manager", first_name="Mia", last_name="Meyer", business_unit=unit
    )
    manager.groups.add(Group.objects.get(name=SALES_MANAGER))
    unit.default_owner = manager
    unit.save()
    return unit, manager


def upload_and_wait_for_mapping(page, path):
    """Upload; the worker reads the file while the page waits, then the page moves
    on to the mapping and preview by itself."""
    page.goto("/leads/import/")
    page.set_input_files("#id_file", str(path))
    page.click("#import-upload button[type=submit]")
    page.wait_for_selector("#import-preview", timeout=USER_WAIT_MS)


def wait_until(page, status):
    """The progress panel's heading, as the user watches it."""
    expect(page.locator("#import-progress h2")).to_have_text(
        status, timeout=USER_WAIT_MS
    )


def make_csv(path, rows=1000, bad=10):
    lines = ["Topic,First Name,Last Name,Email,Company Name,Lead Source"]
    bad_lines = set(range(50, 50 + bad * 90, 90))
    for i in range(rows):
        if i in bad_lines:
            lines.append(
                f"Fair lead {i},Bo,Bad{i},not-an-email-{i},Shop {i},Trade Show"
            )
        else:
            lines.append(
                f"Fair lead {i},Al,Buyer{i},buyer{i}@example.org,Shop {i},Trade Show"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_capture_import_undo_export_roundtrip(
    page,
    new_context,
    login,
    screenshot,
    north,
    task_worker,
    tmp_path,
    monkeypatch,
):
    unit, manager = north
    with task_worker.quiet():
        campaign = factories.CampaignFactory(name="Spring trade fair")
        form = factories.CaptureFormFactory(
            name="Talk to sales",
            title="Talk to our sales team",
            intro_text="Tell us what you need; we answer within one working day.",
            business_unit=unit,
            campaign=campaign,
            fields_shown=["first_name", "company_name", "business_phone"],
            consent_text="I agree that Contoso may contact me about this request.",
            thank_you_text="Thank you! Mia from our North team will be in touch today.",
        )

    # A visitor, on a desktop and on a phone, sends the same request twice.
    page.goto(f"/capture/{form.token}/")
    screenshot("capture-form-desktop")
    phone = new_context()
    mobile = phone.new_page()
    mobile.set_viewport_size({"width": 390, "height": 844})
    for _ in range(2):
        mobile.goto(f"/capture/{form.token}/")
        mobile.fill("#id_first_name", "Dana")
        mobile.fill("#id_last_name", "Scully")
        mobile.fill("#id_email", "dana@example.org")
        mobile.fill("#id_company_name", "Scully Bikes")
        mobile.fill("#id_message", "We need 40 city bikes for our staff by May.")
        mobile.check("#id_consent")
        if not _:
            mobile.screenshot(
                path="test-artifacts/capture-form-phone.png", full_page=True
            )
        mobile.click("button[type=submit]")
        mobile.wait_for_selector("#capture-thanks")
        assert "Mia from our North team" in mobile.inner_text("#capture-thanks")
    phone.close()
    with task_worker.quiet():
        [captured] = Lead.objects.select_related("owner_user")
    assert captured.owner_user == manager
    assert captured.original_message == "We need 40 city bikes for our staff by May."

    # The manager imports a trade-show list: 1,000 rows, 10 of them bad.
    monkeypatch.setattr("leads.imports.rows.CHUNK_ROWS", 50)
    login("manager")
    upload_and_wait_for_mapping(page, make_csv(tmp_path / "trade-show.csv"))
    assert "990" in page.inner_text("#import-preview")
    assert page.locator("#preview-errors tbody tr").count() == 10
    page.locator("#import-mapping").screenshot(path="test-artifacts/import-mapping.png")
    page.locator("#import-preview").screenshot(path="test-artifacts/import-preview.png")
    page.click("#start-import")
    page.wait_for_selector("#import-progress")
    expect(page.locator("#import-counts strong")).not_to_have_text(
        "0", timeout=USER_WAIT_MS
    )
    page.locator("#import-progress").screenshot(
        path="test-artifacts/import-progress.png"
    )
    wait_until(page, "Finished")
    report = page.inner_text("#import-report")
    assert "990\ncreated" in report.replace(" ", "\n") or "990 created" in report
    assert page.locator("#import-failures tbody tr").count() == 10
    assert "Enter a valid email address." in page.inner_text("#import-failures")
    screenshot("import-report")
    with page.expect_download() as download:
        page.click("#download-report")
    assert "Failed" in download.value.path().read_text(encoding="utf-8-sig")
    with task_worker.quiet():
        assert Lead.objects.count() == 991

    page.click("#undo-import")
    wait_until(page, "Undone")
    assert "990 created leads deleted" in page.inner_text("#undo-report")
    with task_worker.quiet():
        assert list(Lead.objects.all()) == [captured]

    # Export the list and import it back: nothing changes.
    with task_worker.quiet():
        factories.LeadFactory(
            owner_user=manager, last_name="Second", email="s@example.org"
        )
        before = sorted(Lead.objects.values_list(*FIELDS))
    page.goto("/leads/?view=all")
    with page.expect_download() as download:
        page.click("#export-leads")
    exported = tmp_path / "export.csv"
    download.value.save_as(exported)
    upload_and_wait_for_mapping(page, exported)
    page.check("input[name=duplicate_mode][value=update]")
    page.click("#start-import")
    wait_until(page, "Finished")
    with task_worker.quiet():
        batch = ImportBatch.objects.latest("pk")
        after = sorted(Lead.objects.values_list(*FIELDS))
    assert (batch.created_count, batch.updated_count, batch.skipped_count) == (0, 0, 2)
    assert after == before

    # The manager sees the form's settings and the embed snippet.
    page.goto(f"/capture-forms/{form.pk}/")
    assert form.token in page.inner_text("#embed-snippet")
    screenshot("capture-form-manage")
