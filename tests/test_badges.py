"""State badges: the pills of list rows and record pages, one markup for both
(templates/jinja2/leads/partials/status_badge.html,
templates/jinja2/accounts/partials/opportunity_status.html)."""

import pytest

from leads.models import LeadState, LeadStatus
from tests import factories
from tests.reading import badges, page

pytestmark = pytest.mark.django_db


def test_the_opportunity_list_shows_each_state_and_a_closed_ones_reason(
    rep_client, rep
):
    factories.OpportunityFactory(owner_user=rep, name="Still open")
    factories.OpportunityFactory(owner_user=rep, name="Gone", lost=True)
    factories.OpportunityFactory(owner_user=rep, name="Signed", won=True)
    # "All" (the list opens on the open ones).
    html = rep_client.get("/opportunities/", {"state": ""}).content
    shown = {
        row.find("a").text: (badge.text, badge.classes)
        for row in page(html).find("table", css="opportunity-table").find_all("tr")
        for badge in row.find_all(css="badge")
    }
    assert shown == {
        "Still open": ("Open", {"badge", "badge-open"}),
        "Gone": ("Lost · Out-Sold", {"badge", "badge-lost"}),
        # Won with the reason "Won": said once.
        "Signed": ("Won", {"badge", "badge-won"}),
    }


def test_the_opportunity_page_shows_the_same_badge(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, lost=True)
    heading = page(rep_client.get(opportunity.get_absolute_url()).content).find("h1")
    badge = heading.find(css="badge")
    assert (badge.text, badge.classes) == ("Lost · Out-Sold", {"badge", "badge-lost"})


def test_home_and_search_show_the_leads_status_pill(rep_client, rep):
    factories.LeadFactory(owner_user=rep, last_name="Hopper")
    factories.LeadFactory(
        owner_user=rep,
        last_name="Hopkins",
        state=LeadState.DISQUALIFIED,
        status=LeadStatus.CANNOT_CONTACT,
    )
    assert ("New", "Open") in badges(rep_client.get("/").content)
    search = rep_client.get("/search/", {"q": "hop"}).content
    assert ("Cannot Contact", "Disqualified · Cannot Contact") in badges(search)


def test_the_lead_list_and_the_lead_page_show_the_same_pills(rep_client, rep):
    """A table shows a closed lead's reason (its state in the title); the lead's
    page spells out both."""
    lead = factories.LeadFactory(
        owner_user=rep,
        last_name="Hopkins",
        state=LeadState.DISQUALIFIED,
        status=LeadStatus.CANNOT_CONTACT,
    )
    listed = rep_client.get("/leads/", {"view": "all"}).content
    assert ("Cannot Contact", "Disqualified · Cannot Contact") in badges(listed)
    header = page(rep_client.get(lead.get_absolute_url()).content).find(css="badges")
    assert [b.text for b in header.find_all(css="badge")] == [
        "Disqualified · Cannot Contact",
        lead.get_rating_display(),
    ]
