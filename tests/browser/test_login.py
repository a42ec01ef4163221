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


def test_phone_menu_reaches_every_entry(page, login, administrator, screenshot):
    """On a phone the navigation is behind a Menu button; opened, every entry (the
    sections, Admin, the user's name and Log out) is on screen, none clipped."""
    page.set_viewport_size({"width": 390, "height": 844})
    login("administrator")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(page.get_by_role("link", name="Routing")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    entries = [
        page.locator("nav.mainnav").get_by_role("link", name=label, exact=True)
        for label in [
            "Leads",
            "Accounts",
            "Contacts",
            "Opportunities",
            "Routing",
            "Reports",
            "Admin",
        ]
    ]
    entries += [
        page.locator(".usermenu .username"),
        page.get_by_role("button", name="Log out"),
    ]
    for entry in entries:
        expect(entry).to_be_visible()
        box = entry.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, entry
    screenshot("navigation-phone-open")
    page.locator("nav.mainnav").get_by_role("link", name="Reports").click()
    page.wait_for_url("**/reports/sources/**")
    expect(page.get_by_role("link", name="Routing")).to_be_hidden()
    screenshot("navigation-phone-closed")


def test_desktop_navigation_is_one_bar(page, login, rep, screenshot):
    login("rep")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(
        page.locator("nav.mainnav").get_by_role("link", name="Reports")
    ).to_be_visible()
    screenshot("navigation-desktop")
