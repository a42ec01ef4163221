from playwright.sync_api import expect


def test_rep_logs_in_and_sees_navigation(page, login, rep, screenshot):
    login("rep")
    nav = page.locator("nav.mainnav")
    for label in [
        "Leads",
        "Accounts",
        "Contacts",
        "Opportunities",
        "Routing",
        "Reports",
    ]:
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    assert nav.get_by_role("link", name="Admin").count() == 0
    screenshot("home-rep")
