"""Helpers of the integrity tests (issue 7): what a browser submits for a rendered
form, and the marks of a test that needs real concurrent PostgreSQL connections."""

import html as htmlmod
import re

import pytest
from django.db import connection

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def browser_post_data(html: str, form) -> dict:
    """The unchanged form as a browser posts it: each field's value, a select only
    with a value among its rendered options (else ""), plus every hidden input
    (the version and the values the form was loaded with)."""
    data = {}
    for bound in form:
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
            continue
        if value is None:
            value = ""
        if hasattr(bound.field, "queryset") and value != "":
            if not re.search(rf'<option value="{value}"[^>]*selected', html):
                value = ""
        data[bound.html_name] = value
    for name, value in HIDDEN.findall(html):
        if name != "csrfmiddlewaretoken":
            data[name] = htmlmod.unescape(value)
    return data


def on_postgresql(test):
    """Real connections committing for real, on PostgreSQL (skipped on SQLite)."""
    for mark in (
        pytest.mark.skipif(
            connection.vendor != "postgresql",
            reason="needs PostgreSQL: SQLite has no row locks or concurrent writers",
        ),
        pytest.mark.django_db(transaction=True),
        pytest.mark.postgres,
    ):
        test = mark(test)
    return test
