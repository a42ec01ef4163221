"""What a browser would submit for a rendered form, for tests that re-save pages."""

import html as htmlmod
import re

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
