"""The main navigation (base.html, accounts.context_processors.navigation): its
links lead where they say, and the link of the page's section is marked."""

import re

import pytest
from django.urls import reverse

from tests import factories

ACTIVE = re.compile(r'<a href="([^"]+)"(?: id="[^"]+")? class="active">([^<]+)</a>')
MAIN_NAV = re.compile(r'<nav class="mainnav".*?</nav>', re.S)


def _marked(response) -> list[str]:
    assert response.status_code == 200
    return [label for _url, label in ACTIVE.findall(response.content.decode())]


@pytest.mark.parametrize(
    ("url", "marked"),
    [
        ("leads:list", ["Leads"]),
        ("leads:create", ["Leads"]),
        ("leads:board", ["Board"]),
        ("leads:routing", ["Routing"]),
        ("leads:duplicate-rules", ["Routing"]),
        ("leads:source-report", ["Reports"]),
        ("accounts:account-list", ["Accounts"]),
        ("accounts:contact-list", ["Contacts"]),
        ("accounts:opportunity-list", ["Opportunities"]),
        ("accounts:settings", ["My settings"]),
        ("leads:home", []),
        ("leads:search", []),
    ],
)
def test_the_page_s_section_is_marked(admin_client_, url, marked):
    assert _marked(admin_client_.get(reverse(url))) == marked


def test_a_record_page_marks_its_list_and_the_links_lead_to_the_lists(
    admin_client_, administrator
):
    lead = factories.LeadFactory(owner_user=administrator)
    account = factories.AccountFactory(owner_user=administrator)
    assert _marked(admin_client_.get(lead.get_absolute_url())) == ["Leads"]
    response = admin_client_.get(account.get_absolute_url())
    assert _marked(response) == ["Accounts"]
    nav = MAIN_NAV.search(response.content.decode()).group(0)
    links = dict(
        (label, url)
        for url, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)
    )
    assert links["Leads"] == reverse("leads:list")
    assert links["Opportunities"] == reverse("accounts:opportunity-list")
    assert links["Admin"] == reverse("admin:index")
    assert admin_client_.get(links["Reports"]).status_code == 200


def test_the_search_box_keeps_the_words_on_the_search_page_only(admin_client_):
    box = re.compile(r'id="global-search" name="q" value="([^"]*)"')
    on_search = admin_client_.get(reverse("leads:search"), {"q": "acme"})
    assert box.search(on_search.content.decode()).group(1) == "acme"
    on_list = admin_client_.get(reverse("leads:list"), {"q": "acme"})
    assert box.search(on_list.content.decode()).group(1) == ""
