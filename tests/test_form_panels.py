"""The lead page's collapsed forms are loaded when opened: the page links each
disclosure to its add URL, a GET there answers the form (alone for the page's
htmx request, as a page of its own otherwise), and the page reads only the
related lists that have rows."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.models import LeadState, LeadStatus
from tests import factories
from tests.reading import options

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def test_the_lead_page_links_each_disclosure_to_its_form(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    factories.NoteFactory(lead=lead, created_by=rep)
    html = rep_client.get(lead.get_absolute_url()).content.decode()
    for url in [
        reverse("leads:assign", args=[lead.pk]),
        reverse("leads:add-interest", args=[lead.pk]),
        reverse("leads:link-account", args=[lead.pk]),
        reverse("leads:link-contact", args=[lead.pk]),
        reverse("leads:add-note", args=["lead", lead.pk]),
        reverse("leads:add-activity", args=["lead", lead.pk]),
        reverse("leads:add-attachment", args=["lead", lead.pk]),
    ]:
        # htmx loads it when the disclosure opens; without JavaScript, a link.
        assert f'hx-get="{url}"' in html, url
        assert f'<a href="{url}">' in html, url
    assert "{#" not in html and "{%" not in html  # no template source shows
    # None of those forms is drawn with the page.
    assert 'name="owner_user"' not in html
    assert 'name="product"' not in html
    assert 'name="kind"' not in html


@pytest.mark.parametrize("with_items", [False, True])
def test_add_note_and_log_activity_both_start_closed(rep_client, rep, with_items):
    """The "Add note" form was open on an empty timeline while "Log activity" was
    closed; now every add form is a closed disclosure, empty timeline or not."""
    lead = factories.LeadFactory(owner_user=rep)
    if with_items:
        factories.NoteFactory(lead=lead, created_by=rep)
    html = rep_client.get(lead.get_absolute_url()).content.decode()
    disclosures = re.findall(
        r'<details class="timeline-add"[^>]*>\s*<summary>([^<]+)', html
    )
    assert disclosures == ["Add note", "Log activity", "Upload file"]
    assert '<details class="timeline-add" open' not in html
    assert 'name="text"' not in html  # no note form drawn with the page
    for kind in ("note", "activity"):
        url = reverse(f"leads:add-{kind}", args=["lead", lead.pk])
        assert f'hx-get="{url}"' in html


def test_the_assign_form_offers_the_users_the_rep_may_assign_to(rep_client, rep, rep2):
    colleague = factories.UserFactory(
        business_unit=rep.business_unit, first_name="Cora", last_name="Colleague"
    )
    lead = factories.LeadFactory(owner_user=rep)
    response = rep_client.get(reverse("leads:assign", args=[lead.pk]), **HX)
    html = response.content.decode()
    assert response["Vary"].count("HX-Request") == 1
    assert "<h1>" not in html
    assert f'<option value="{colleague.pk}">Cora Colleague</option>' in html
    assert str(rep2) not in html  # another business unit
    assert f'<input type="hidden" name="ids" value="{lead.pk}">' in html
    # The form posts to the list's bulk action, which assigns the lead.
    rep_client.post(
        reverse("leads:bulk"),
        {"action": "assign", "ids": str(lead.pk), "owner_user": colleague.pk},
    )
    lead.refresh_from_db()
    assert lead.owner_user == colleague


def test_a_closed_lead_says_why_instead_of_a_form(rep_client, rep):
    lead = factories.LeadFactory(
        owner_user=rep, state=LeadState.DISQUALIFIED, status=LeadStatus.LOST
    )
    for url in [
        reverse("leads:assign", args=[lead.pk]),
        reverse("leads:add-interest", args=[lead.pk]),
        reverse("leads:link-account", args=[lead.pk]),
    ]:
        html = rep_client.get(url, **HX).content.decode()
        assert "<form" not in html, url
        assert "reactivate" in html.lower(), url


def test_without_javascript_the_form_is_a_page_with_a_way_back(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, last_name="Lovelace")
    html = rep_client.get(reverse("leads:add-interest", args=[lead.pk])).content
    html = html.decode()
    assert "<h1>Add a product interest</h1>" in html
    assert f'<a href="{lead.get_absolute_url()}">' in html
    assert 'name="product"' in html


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_lead_page_reads_only_the_related_lists_that_have_rows(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    url = lead.get_absolute_url()
    rep_client.get(url)  # the content type cache fills once
    bare = _queries(rep_client, url)
    factories.LeadAccountFactory(
        lead=lead, account=factories.AccountFactory(owner_user=rep, name="Acme Ltd")
    )
    factories.LeadContactFactory(
        lead=lead, contact=factories.ContactFactory(owner_user=rep, last_name="Ng")
    )
    factories.LeadProductFactory(lead=lead, product__name="Widget Pro")
    factories.ActivityFactory(lead=lead, owner=rep, subject="Intro call")
    factories.NoteFactory(lead=lead, created_by=rep, title="Budget note")
    factories.AttachmentFactory(lead=lead)
    full = _queries(rep_client, url)
    # Six lists now have rows: each costs its one query, and only then.
    assert full == bare + 6
    html = rep_client.get(url).content.decode()
    for text in ["Acme Ltd", "Ng", "Widget Pro", "Intro call", "Budget note"]:
        assert text in html


def test_the_lead_list_loads_its_filters_and_assign_pickers_when_needed(
    rep_client, rep, rep2
):
    colleague = factories.UserFactory(
        business_unit=rep.business_unit, first_name="Cora", last_name="Colleague"
    )
    factories.LeadFactory(owner_user=rep)
    query = f"view=all&owner={colleague.pk}&sort=-created"
    html = rep_client.get(f"/leads/?{query}").content.decode()
    filters_url = f"{reverse('leads:list-filters')}?{query}".replace("&", "&amp;")
    assert f'hx-get="{filters_url}"' in html
    assert f'hx-get="{reverse("leads:bulk-assignees")}"' in html
    assert "Cora Colleague" in html  # the active filter's chip
    assert f'<option value="{colleague.pk}"' not in html  # no picker drawn

    # The filter form, for the list's own query: the chosen owner selected.
    fragment = rep_client.get(
        reverse("leads:list-filters"),
        dict(view="all", owner=colleague.pk, sort="-created"),
        **HX,
    ).content.decode()
    assert (str(colleague.pk), "Cora Colleague", True) in options(fragment, "owner")
    assert str(rep2) not in fragment  # another business unit
    assert 'action="/leads/"' in fragment
    assert '<input type="hidden" name="sort" value="-created">' in fragment

    # The bulk bar's pickers: the users and teams the rep may assign to.
    pickers = rep_client.get(reverse("leads:bulk-assignees"), **HX).content.decode()
    assert f'<option value="{colleague.pk}">Cora Colleague</option>' in pickers
    assert str(rep2) not in pickers


def test_a_filter_with_an_error_shows_its_form_on_the_list(rep_client, rep):
    html = rep_client.get("/leads/?view=all&created_after=2025-13-45").content
    html = html.decode()
    assert '<details class="filter-panel" open>' in html
    assert 'class="field range field-error"' in html
    assert 'name="owner"' in html
