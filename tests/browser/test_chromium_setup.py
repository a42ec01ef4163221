"""Issue 18, finding 13: browser tests skip with a reason when Chromium cannot be
found, and a Chromium that does not start fails naming the executable launched."""

import os
import stat

import pytest

from tests.browser.conftest import chromium_executable, launch_chromium


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


def test_chromium_that_does_not_start_fails_naming_the_executable(
    playwright_driver, tmp_path
):
    broken = tmp_path / "broken-chromium"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    assert os.access(broken, os.X_OK)
    with pytest.raises(pytest.fail.Exception, match=f"Chromium {broken} did not"):
        launch_chromium(playwright_driver, str(broken))
