"""The browser tests drive the installed Chromium through pytest-playwright: they skip
with a reason when there is none, a Chromium that does not start fails naming the
executable launched, and only browser tests let the ORM run beside Playwright."""

import os
import re
import stat

import pytest
from playwright.sync_api import Error

from leads.models import Lead
from tests.browser.conftest import CHROMIUM_ARGS, chromium_executable


def test_leadsite_chromium_pointing_nowhere_skips_naming_the_path(monkeypatch):
    monkeypatch.setenv("LEADSITE_CHROMIUM", "/nowhere/chromium")
    with pytest.raises(
        pytest.skip.Exception, match="LEADSITE_CHROMIUM=/nowhere/chromium"
    ):
        chromium_executable()


def test_leadsite_chromium_is_the_executable_used(monkeypatch, tmp_path):
    executable = tmp_path / "my-chromium"
    executable.write_text("")
    monkeypatch.setenv("LEADSITE_CHROMIUM", str(executable))
    assert chromium_executable() == str(executable)


def test_no_chromium_anywhere_skips_with_the_reason(monkeypatch, tmp_path):
    monkeypatch.delenv("LEADSITE_CHROMIUM", raising=False)
    monkeypatch.setattr("tests.browser.conftest.DEBIAN_CHROMIUM", str(tmp_path / "no"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.skip.Exception, match="install Debian's chromium"):
        chromium_executable()


def test_pages_open_in_the_installed_chromium_with_its_flags(page):
    """pytest-playwright's `page` runs in the Chromium found above, never a browser
    of Playwright's own, started with the flags a container needs."""
    executable = chromium_executable()
    page.goto("chrome://version")
    command_line = page.inner_text("#command_line")
    for flag in CHROMIUM_ARGS:
        assert flag in command_line
    if executable == "/usr/bin/chromium":
        # Debian's launcher script starts the browser from /usr/lib/chromium.
        assert "/usr/lib/chromium/" in page.inner_text("#executable_path")
    assert "ms-playwright" not in page.inner_text("#executable_path")


def test_pages_open_on_the_live_server(page, live_server):
    page.goto("/login/")
    assert page.url == f"{live_server.url}/login/"
    assert page.get_by_role("button", name="Log in").is_visible()


def test_chromium_that_does_not_start_fails_naming_the_executable(
    launch_browser, tmp_path
):
    broken = tmp_path / "broken-chromium"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    assert os.access(broken, os.X_OK)
    with pytest.raises(Error, match=re.escape(f"<launching> {broken} ")):
        launch_browser(executable_path=str(broken))


def test_browser_tests_may_use_the_orm_beside_playwright(page):
    """Playwright's sync API marks its event loop as running in this thread; the
    browser tests (only they) set DJANGO_ALLOW_ASYNC_UNSAFE so the ORM still works."""
    page.goto("/login/")
    assert os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] == "true"
    assert Lead.objects.count() == 0
