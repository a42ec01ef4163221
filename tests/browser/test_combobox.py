"""The one record picker (static/js/combobox.js): an ARIA combobox that the keyboard
drives, that searches only the records the user may see, and that posts its value."""

from playwright.sync_api import expect

from leads.models import Lead, LeadState
from tests import factories


def test_keyboard_picks_an_account_in_scope_on_the_qualify_form(page, login, rep, rep2):
    lead = factories.LeadFactory(owner_user=rep, company_name="", last_name="Quill")
    factories.AccountFactory.create_batch(3, owner_user=rep)
    mine = factories.AccountFactory(owner_user=rep, name="Umbra Optics North")
    factories.AccountFactory(owner_user=rep2, name="Umbra Optics South")
    login("rep")
    page.goto(f"/leads/{lead.pk}/qualify/")
    box = page.get_by_role("combobox", name="…or link an existing account")
    expect(box).to_have_attribute("aria-expanded", "false")
    box.fill("umbra")
    listbox = page.get_by_role("listbox", name="…or link an existing account")
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox).not_to_contain_text("Umbra Optics South")  # another rep's account
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".combobox-status").first).to_have_text("1 result")
    box.press("ArrowDown")
    option = listbox.get_by_role("option", name="Umbra Optics North", exact=False)
    expect(option).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    label = option.inner_text()
    assert label.startswith("Umbra Optics North")
    box.press("Enter")
    expect(box).to_have_value(label)
    expect(box).to_have_attribute("aria-expanded", "false")
    page.get_by_role("button", name="Qualify", exact=True).click()
    expect(page.get_by_role("heading", name="Lead qualified")).to_be_visible()
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert lead.qualifying_account == mine


def test_escape_closes_and_empty_text_clears_the_choice(page, login, rep):
    lead = factories.LeadFactory(owner_user=rep)
    account = factories.AccountFactory(owner_user=rep, name="Vireo Partners")
    login("rep")
    page.goto(f"/leads/{lead.pk}/")
    page.get_by_text("Link an account").click()
    # The picker is loaded when the disclosure opens, then turned into a combobox.
    page.locator("select[name=account][data-combobox-ready]").wait_for(state="attached")
    box = page.get_by_role("combobox", name="Account")
    box.fill("vireo")
    expect(page.get_by_role("option", name="Vireo Partners")).to_be_visible()
    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    box.fill("vireo")
    page.get_by_role("option", name="Vireo Partners").click()
    select = page.locator("select[name=account]")
    expect(select).to_have_value(str(account.pk))
    box.fill("")
    box.press("Tab")
    expect(select).to_have_value("")
    assert Lead.objects.get(pk=lead.pk).account_links.count() == 0
