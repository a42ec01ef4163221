"""State badges on list rows, drawn by template tags (ui.opportunity_badge,
lead_html.lead_status_badge): the same pills the record pages show."""

import pytest

from leads.models import LeadState, LeadStatus
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_opportunity_list_shows_each_state_and_a_closed_ones_reason(
    rep_client, rep
):
    factories.OpportunityFactory(owner_user=rep, name="Still open")
    factories.OpportunityFactory(owner_user=rep, name="Gone", lost=True)
    factories.OpportunityFactory(owner_user=rep, name="Signed", won=True)
    # "All" (the list opens on the open ones).
    html = rep_client.get("/opportunities/", {"state": ""}).content.decode()
    assert '<span class="badge badge-open">Open</span>' in html
    assert '<span class="badge badge-lost">Lost · Out-Sold</span>' in html
    # Won with the reason "Won": said once.
    assert '<span class="badge badge-won">Won</span>' in html


def test_the_opportunity_page_shows_the_same_badge(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, lost=True)
    page = rep_client.get(opportunity.get_absolute_url()).content.decode()
    assert '<span class="badge badge-lost">Lost · Out-Sold</span>' in page


def test_home_and_search_show_the_leads_status_pill(rep_client, rep):
    factories.LeadFactory(owner_user=rep, last_name="Hopper")
    factories.LeadFactory(
        owner_user=rep,
        last_name="Hopkins",
        state=LeadState.DISQUALIFIED,
        status=LeadStatus.CANNOT_CONTACT,
    )
    home = rep_client.get("/").content.decode()
    assert '<span class="badge badge-open" title="Open">New</span>' in home
    search = rep_client.get("/search/", {"q": "hop"}).content.decode()
    assert (
        '<span class="badge badge-disqualified" title="Disqualified · Cannot Contact">'
        "Cannot Contact</span>" in search
    )
