"""The timeline on lead, account, contact and opportunity pages: order, content,
notes, lead items on the opportunity it became, and constant query counts."""

import datetime

import pytest
from django.db import connection
from django.template import RequestContext, Template
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leads.models import Note
from leads.selectors.timeline import list_timeline, timeline_context
from leads.services.timeline import add_note
from tests import factories
from tests.reading import links, page


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(owner_user=rep)


def _at(minutes_ago):
    return timezone.now() - datetime.timedelta(minutes=minutes_ago)


def test_timeline_is_newest_first_across_kinds(lead, rep):
    note = factories.NoteFactory(lead=lead, created_at=_at(30))
    call = factories.ActivityFactory(lead=lead, owner=rep, created_at=_at(10))
    file = factories.AttachmentFactory(lead=lead, created_at=_at(20))
    entries = list_timeline(record=lead)
    assert [e.item for e in entries] == [call, file, note]
    assert [e.kind for e in entries] == ["activity", "attachment", "note"]


def test_timeline_only_shows_the_records_own_items(lead, rep):
    other = factories.LeadFactory(owner_user=rep)
    factories.NoteFactory(lead=other)
    mine = factories.NoteFactory(lead=lead)
    assert [e.item for e in list_timeline(record=lead)] == [mine]


def test_add_note_through_page(rep_client, lead):
    url = reverse("leads:add-note", args=["lead", lead.pk])
    response = rep_client.post(url, {"title": "Budget", "text": "Has budget in Q3"})
    assert response.status_code == 302
    assert response.url == lead.get_absolute_url() + "#timeline"
    note = Note.objects.get(lead=lead)
    assert (note.title, note.text) == ("Budget", "Has budget in Q3")


def test_note_without_text_names_the_field(rep_client, lead):
    url = reverse("leads:add-note", args=["lead", lead.pk])
    response = rep_client.post(url, {"title": "Only a title"}, follow=True)
    assert "Text: This field is required." in response.content.decode()
    assert not Note.objects.exists()


def test_notes_may_be_added_to_closed_leads(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, qualified=True)
    url = reverse("leads:add-note", args=["lead", lead.pk])
    rep_client.post(url, {"text": "Post-qualification remark"})
    assert Note.objects.filter(lead=lead).count() == 1


def test_note_on_contact_and_opportunity(rep_client, rep):
    contact = factories.ContactFactory(owner_user=rep)
    opportunity = factories.OpportunityFactory(owner_user=rep)
    rep_client.post(
        reverse("leads:add-note", args=["contact", contact.pk]), {"text": "a"}
    )
    rep_client.post(
        reverse("leads:add-note", args=["opportunity", opportunity.pk]), {"text": "b"}
    )
    assert Note.objects.get(contact=contact).text == "a"
    assert Note.objects.get(opportunity=opportunity).text == "b"


def test_note_on_record_outside_scope_is_404(rep_client, rep2):
    account = factories.AccountFactory(owner_user=rep2)
    url = reverse("leads:add-note", args=["account", account.pk])
    assert rep_client.post(url, {"text": "x"}).status_code == 404
    assert not Note.objects.exists()


def test_opportunity_timeline_includes_its_originating_lead_items(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    lead = factories.LeadFactory(
        owner_user=rep,
        qualified=True,
        qualifying_opportunity=opportunity,
        source=8,
    )
    lead_note = add_note(record=lead, by=rep, text="Wants a demo")
    own_note = add_note(record=opportunity, by=rep, text="Sent proposal")
    context = timeline_context(user=rep, record=opportunity)
    entries = {e.item: e for e in context["timeline"]}
    assert set(entries) == {lead_note, own_note}
    assert entries[lead_note].from_lead == lead
    assert entries[own_note].from_lead is None
    assert context["originating_leads"] == [lead]
    html = render_to_string("leads/partials/record_timeline.html", context)
    assert "Wants a demo" in html
    assert "Originating lead" in html
    assert "Web" in html


def test_account_partial_renders_timeline_forms_and_leads(rep):
    account = factories.AccountFactory(owner_user=rep)
    add_note(record=account, by=rep, text="Key account")
    request = RequestFactory().get(account.get_absolute_url())
    request.user = rep
    html = Template("{% load timeline %}{% record_timeline account %}").render(
        RequestContext(request, {"account": account})
    )
    assert "Key account" in html
    assert reverse("leads:add-note", args=["account", account.pk]) in html
    assert reverse("leads:add-attachment", args=["account", account.pk]) in html
    assert "No leads are linked to this account." in html


def _fill_timeline(record_kwargs, n, rep):
    """n items: notes, activities and attachments by different users."""
    for i in range(n):
        author = factories.UserFactory()
        kind = i % 3
        if kind == 0:
            factories.NoteFactory(created_by=author, **record_kwargs)
        elif kind == 1:
            factories.ActivityFactory(owner=author, **record_kwargs)
        else:
            factories.AttachmentFactory(created_by=author, **record_kwargs)


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


@pytest.mark.parametrize("record_type", ["lead", "account", "contact", "opportunity"])
def test_detail_page_queries_do_not_grow_with_timeline(
    rep_client, rep, record_type, django_assert_max_num_queries
):
    factory = {
        "lead": factories.LeadFactory,
        "account": factories.AccountFactory,
        "contact": factories.ContactFactory,
        "opportunity": factories.OpportunityFactory,
    }[record_type]
    record = factory(owner_user=rep)
    kwargs = {record_type: record}
    if record_type != "lead":
        kwargs["lead"] = None
    _fill_timeline(kwargs, 5, rep)
    url = record.get_absolute_url()
    small, _ = _count_queries(rep_client, url)
    _fill_timeline(kwargs, 45, rep)
    with django_assert_max_num_queries(small):
        response = rep_client.get(url)
    assert response.content.decode().count('class="kind-') >= 50


def test_opportunity_page_with_lead_items_keeps_query_count(
    rep_client, rep, django_assert_max_num_queries
):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    lead = factories.LeadFactory(
        owner_user=rep, qualified=True, qualifying_opportunity=opportunity
    )
    _fill_timeline({"lead": lead}, 5, rep)
    url = opportunity.get_absolute_url()
    small, _ = _count_queries(rep_client, url)
    _fill_timeline({"lead": lead}, 45, rep)
    with django_assert_max_num_queries(small):
        response = rep_client.get(url)
    assert "on lead" in response.content.decode()


def test_lead_page_shows_timeline_and_related_sections(rep_client, rep, lead):
    add_note(record=lead, by=rep, text="Met at the fair")
    html = rep_client.get(lead.get_absolute_url()).content.decode()
    assert "Met at the fair" in html
    assert "Product interests" in html
    assert "Related accounts and contacts" in html
    assert 'id="timeline"' in html


def test_timeline_times_are_relative_for_a_day_then_dates(rep_client, lead, rep):
    """Items of the last day say how long ago; older ones give date and time."""
    factories.NoteFactory(lead=lead, title="Fresh", created_at=_at(180))
    today = timezone.localtime()
    old = (today - datetime.timedelta(days=3)).replace(hour=10, minute=30)
    factories.NoteFactory(lead=lead, title="Old", created_at=old)
    due = (today + datetime.timedelta(days=2)).replace(hour=14, minute=45)
    factories.ActivityFactory(lead=lead, owner=rep, due_at=due, created_at=_at(5))
    page = rep_client.get(lead.get_absolute_url()).content.decode()
    assert "3\xa0hours ago" in page
    assert "5\xa0minutes ago" in page
    # One format for every date and time (leadsite/formats/en): "Dec 3, 2026, 10:30 AM".
    assert f"{old:%b} {old.day}, {old.year}, 10:30 AM" in page
    assert f"Due {due:%b} {due.day}, {due.year}, 2:45 PM" in page
    assert "days ago" not in page


def test_each_kind_of_item_shows_what_a_rep_reads(rep_client, rep):
    """An open activity with its two buttons, a note whose author is gone, a
    file to download; on the opportunity, each item links to its lead."""
    opportunity = factories.OpportunityFactory(owner_user=rep)
    lead = factories.LeadFactory(
        owner_user=rep,
        first_name="Ana",
        last_name="Trujillo",
        subject="Bikes",
        qualified=True,
        qualifying_opportunity=opportunity,
    )
    call = factories.ActivityFactory(
        lead=lead, owner=rep, subject="Call back", description="Budget\nTimeline"
    )
    factories.NoteFactory(lead=lead, title="Met", text="At the fair", created_by=None)
    file = factories.AttachmentFactory(lead=lead, created_by=rep, size=2048)
    html = rep_client.get(lead.get_absolute_url()).content
    shown = {
        item.attrs["id"]: item
        for item in page(html).find("ol", css="timeline").find_all("li")
    }
    activity = shown[f"activity-{call.pk}"]
    assert (
        activity.find(css="timeline-title").text == "Phone call Outgoing Call back Open"
    )
    text = activity.find(css="timeline-text")
    assert (text.raw_text, len(text.find_all("br"))) == ("BudgetTimeline", 1)
    assert activity.find(css="meta").text.startswith(f"Owner {rep} · logged ")
    buttons = {
        form.find("button").text: (
            form.attrs["action"],
            form.find(name="next").attrs["value"],
        )
        for form in activity.find_all("form")
    }
    assert buttons == {
        "Complete": (
            reverse("leads:complete-activity", args=[call.pk]),
            lead.get_absolute_url(),
        ),
        "Cancel activity": (
            reverse("leads:cancel-activity", args=[call.pk]),
            lead.get_absolute_url(),
        ),
    }
    note = next(item for key, item in shown.items() if key.startswith("note-"))
    assert note.find(css="timeline-title").text == "Note Met"
    assert note.find(css="meta").text.startswith("Unknown user · ")
    attachment = shown[f"attachment-{file.pk}"]
    assert links(attachment) == [
        ("notes.txt", reverse("leads:download-attachment", args=[file.pk]))
    ]
    assert attachment.find(css="timeline-title").text == "File notes.txt 2.0 KB"

    on_opportunity = page(rep_client.get(opportunity.get_absolute_url()).content)
    items = on_opportunity.find("ol", css="timeline").find_all("li")
    assert len(items) == 3
    assert {links(item.find(css="meta"))[0] for item in items} == {
        (str(lead), lead.get_absolute_url())
    }
