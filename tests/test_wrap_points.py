"""E-mail addresses and URLs on record pages wrap at their break points (after "@"
and "/", before "."), never inside a word (issue 19)."""

import pytest

from accounts.templatetags.ui import breakable
from tests import factories

pytestmark = pytest.mark.django_db


def test_breakable_marks_the_break_points_and_escapes():
    assert breakable("ana.trujillo@trey.example") == (
        "ana<wbr>.trujillo@<wbr>trey<wbr>.example"
    )
    assert breakable("https://x.example/a?b=<c>&d") == (
        "https://<wbr>x<wbr>.example/<wbr>a<wbr>?b<wbr>=&lt;c&gt;<wbr>&amp;d"
    )


def test_the_lead_page_wraps_email_and_website_at_their_break_points(rep_client, rep):
    lead = factories.LeadFactory(
        owner_user=rep,
        email="ana.trujillo@treyresearch.example",
        website="https://www.treyresearch.example/about",
    )
    html = rep_client.get(lead.get_absolute_url()).content.decode()
    assert (
        '<a class="breakable" href="mailto:ana.trujillo@treyresearch.example">'
        "ana<wbr>.trujillo@<wbr>treyresearch<wbr>.example</a>"
    ) in html
    assert (
        '<a class="breakable" href="https://www.treyresearch.example/about" '
        'rel="noopener noreferrer" target="_blank">'
        "https://<wbr>www<wbr>.treyresearch<wbr>.example/<wbr>about</a>"
    ) in html


def test_the_qualify_page_wraps_them_too(rep_client, rep):
    """A long URL in its notes made the page wider than a phone."""
    lead = factories.LeadFactory(
        owner_user=rep, website="https://www.treyresearch.example/about"
    )
    html = rep_client.get(f"/leads/{lead.pk}/qualify/").content.decode()
    assert (
        '<span class="breakable">https://<wbr>www<wbr>.treyresearch<wbr>.example/'
        "<wbr>about</span>"
    ) in html
