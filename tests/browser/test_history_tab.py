"""A manager edits a lead in the browser and reads the change on its Changes tab."""

import pytest
from django.contrib.auth.models import Group

from accounts.permissions import SALES_MANAGER
from tests import factories
from tests.support import ensure_roles


@pytest.fixture
def sales_manager(transactional_db):
    ensure_roles()
    north = factories.BusinessUnitFactory(name="North")
    user = factories.UserFactory(username="manager", business_unit=north)
    user.groups.add(Group.objects.get(name=SALES_MANAGER))
    return user


def test_manager_sees_a_field_change_on_the_changes_tab(
    page, login, sales_manager, screenshot
):
    lead = factories.LeadFactory(
        owner_user=sales_manager, subject="Twenty seats", job_title="Buyer"
    )
    login("manager")
    page.goto(f"/leads/{lead.pk}/edit/")
    page.fill("input[name=job_title]", "Head of purchasing")
    page.click("form.lead-form button[type=submit]")
    page.wait_for_url(f"**/leads/{lead.pk}/")
    changes = page.locator("#changes")
    changes.scroll_into_view_if_needed()
    # Newest first: the edit, then the record's creation with its first values.
    row = changes.locator("tr", has_text="job title").first
    assert row.locator("td").nth(2).inner_text() == "Buyer"
    assert row.locator("td").nth(3).inner_text() == "Head of purchasing"
    assert "Form" in row.inner_text()
    assert str(sales_manager) in row.inner_text()
    screenshot("history-changes-tab")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("history-changes-tab-390")
