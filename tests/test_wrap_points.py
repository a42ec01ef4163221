"""E-mail addresses and URLs on record pages wrap at their break points (after "@"
and "/", before "."), never inside a word."""

import pytest

from accounts.templatetags.ui import breakable
from tests import factories
from tests.reading import page

pytestmark = pytest.mark.django_db


def test_breakable_marks_the_break_points_and_escapes():
    assert breakable("ana.trujillo@trey.example") == (
        "ana<wbr>.trujillo@<wbr>trey<wbr>.example"
    )
    assert breakable("https://x.example/a?b=<c>&d") == (
        "https://<wbr>x<wbr>.example/<wbr>a<wbr>?b<wbr>=&lt;c&gt;<wbr>&amp;d"
    )


def _pieces(element):
    """The element's text cut where the line may wrap (<wbr>)."""
    pieces = [""]
    for child in element.children:
        if isinstance(child, str):
            pieces[-1] += child
        elif child.tag == "wbr":
            pieces.append("")
        else:
            pieces[-1] += child.raw_text
    return pieces


def test_the_lead_page_wraps_email_and_website_at_their_break_points(rep_client, rep):
    lead = factories.LeadFactory(
        owner_user=rep,
        email="ana.trujillo@treyresearch.example",
        website="https://www.treyresearch.example/about",
    )
    html = page(rep_client.get(lead.get_absolute_url()).content)
    email = html.find("a", href="mailto:ana.trujillo@treyresearch.example")
    assert _pieces(email) == ["ana", ".trujillo@", "treyresearch", ".example"]
    website = html.find("a", href="https://www.treyresearch.example/about")
    assert _pieces(website) == [
        "https://",
        "www",
        ".treyresearch",
        ".example/",
        "about",
    ]
    assert website.attrs["target"] == "_blank"


def test_the_qualify_page_wraps_them_too(rep_client, rep):
    """A long URL in its notes made the page wider than a phone."""
    lead = factories.LeadFactory(
        owner_user=rep, website="https://www.treyresearch.example/about"
    )
    html = page(rep_client.get(f"/leads/{lead.pk}/qualify/").content)
    website = html.find("span", css="breakable")
    assert _pieces(website) == [
        "https://",
        "www",
        ".treyresearch",
        ".example/",
        "about",
    ]
