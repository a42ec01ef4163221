"""The top bar at laptop and desktop widths: an administrator has the most links,
and none of them may run under the search box or off the bar."""

import pytest

from tests.browser.conftest import save_screenshot
from tests.support import ensure_roles


@pytest.fixture(autouse=True)
def _roles(transactional_db):
    """Role groups come from a data migration that a live-server flush removes."""
    ensure_roles()


@pytest.mark.parametrize("width", [1024, 1280, 1366, 1440, 1920])
def test_no_link_runs_under_the_search(page, login, administrator, width):
    page.set_viewport_size({"width": width, "height": 800})
    login("administrator")
    page.goto("/leads/")
    search = page.locator(".topsearch").bounding_box()
    links = page.locator(".mainnav a")
    assert links.count() >= 9
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        overlaps = (
            box["x"] < search["x"] + search["width"]
            and search["x"] < box["x"] + box["width"]
            and box["y"] < search["y"] + search["height"]
            and search["y"] < box["y"] + box["height"]
        )
        assert not overlaps, (links.nth(index).inner_text(), width)
        assert box["x"] + box["width"] <= width, (links.nth(index).inner_text(), width)
    save_screenshot(page, f"test-artifacts/topbar-{width}.png")
