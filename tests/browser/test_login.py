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
        assert nav.get_by_role("link", name=label).is_visible()
    assert nav.get_by_role("link", name="Admin").count() == 0
    screenshot("home-rep")
