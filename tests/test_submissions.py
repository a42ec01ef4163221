"""Double posts: a create form sent twice (double click, resend, two at the
same moment) makes one record; the second POST lands on the first one's record."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.permissions import SALES_REP
from leads.models import Activity, Attachment, Lead, Note
from tests import factories
from tests.support import ensure_roles, on_postgresql, run_together

NEW_LEAD = {
    "subject": "Fleet renewal",
    "last_name": "Okafor",
    "email": "o@x.org",
    "preferred_contact_method": "1",
    "rating": "2",
}


def _lead_form_token(client):
    page = client.get(reverse("leads:create"))
    return page.context["form"]["submission_token"].value()


def _timeline_tokens(client, lead):
    """The token of each add form as the lead page loads it (GET on its URL)."""
    urls = {
        "note": "leads:add-note",
        "activity": "leads:add-activity",
        "attachment": "leads:add-attachment",
    }
    return {
        name: client.get(reverse(url, args=["lead", lead.pk]), HTTP_HX_REQUEST="true")
        .context["form"]["submission_token"]
        .value()
        for name, url in urls.items()
    }


def _timeline_posts(lead, tokens):
    """(url, data factory) for a note, an activity and an upload of that page."""
    base = ["lead", lead.pk]
    return {
        "note": (
            reverse("leads:add-note", args=base),
            lambda: {"text": "Called", "submission_token": tokens["note"]},
        ),
        "activity": (
            reverse("leads:add-activity", args=base),
            lambda: {
                "kind": "task",
                "subject": "Send offer",
                "submission_token": tokens["activity"],
            },
        ),
        "attachment": (
            reverse("leads:add-attachment", args=base),
            lambda: {
                "file": SimpleUploadedFile("a.txt", b"hello\n", "text/plain"),
                "submission_token": tokens["attachment"],
            },
        ),
    }


MODELS = {"note": Note, "activity": Activity, "attachment": Attachment}


@pytest.mark.django_db
def test_lead_form_sent_twice_makes_one_lead(rep_client):
    data = {**NEW_LEAD, "submission_token": _lead_form_token(rep_client)}
    first = rep_client.post(reverse("leads:create"), data)
    second = rep_client.post(reverse("leads:create"), data)
    assert Lead.objects.count() == 1
    lead = Lead.objects.get()
    assert first.url == second.url == lead.get_absolute_url()


@pytest.mark.django_db
def test_each_new_form_makes_its_own_lead(rep_client):
    for _ in range(2):
        data = {**NEW_LEAD, "submission_token": _lead_form_token(rep_client)}
        rep_client.post(reverse("leads:create"), {**data, "confirm_duplicates": "on"})
    assert Lead.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["note", "activity", "attachment"])
def test_timeline_form_sent_twice_adds_one_item(rep_client, rep, kind):
    lead = factories.LeadFactory(owner_user=rep)
    url, data = _timeline_posts(lead, _timeline_tokens(rep_client, lead))[kind]
    for _ in range(2):
        assert rep_client.post(url, data()).status_code == 302
    assert MODELS[kind].objects.count() == 1


@pytest.mark.django_db
def test_another_users_token_creates_nothing(rep_client, rep2):
    token = _lead_form_token(rep_client)
    rep_client.post(reverse("leads:create"), {**NEW_LEAD, "submission_token": token})
    other = Client()
    other.force_login(rep2)
    # Past the duplicate warning (rep's lead, outside rep2's scope, matches).
    response = other.post(
        reverse("leads:create"),
        {**NEW_LEAD, "submission_token": token, "confirm_duplicates": "on"},
    )
    assert response.status_code == 200
    assert "already sent" in response.content.decode()
    assert Lead.objects.count() == 1


def _one_session_two_clients():
    ensure_roles()
    unit = factories.BusinessUnitFactory(name="North")
    user = factories.UserFactory(username="ann", business_unit=unit)
    user.groups.add(Group.objects.get(name=SALES_REP))
    first, second = Client(), Client()
    first.force_login(user)
    # One session on two connections: the browser's double click.
    second.cookies = first.cookies
    return user, first, second


@on_postgresql
@pytest.mark.parametrize("attempt", range(3))
def test_two_simultaneous_posts_of_the_lead_form_make_one_lead(attempt):
    user, first, second = _one_session_two_clients()
    data = {**NEW_LEAD, "submission_token": _lead_form_token(first)}
    url = reverse("leads:create")
    outcomes = run_together(
        lambda: first.post(url, data), lambda: second.post(url, data)
    )
    assert [kind for kind, _ in outcomes] == ["ok", "ok"]
    assert Lead.objects.count() == 1
    lead = Lead.objects.get()
    assert {response.url for _, response in outcomes} == {lead.get_absolute_url()}


@on_postgresql
@pytest.mark.parametrize("kind", ["note", "activity", "attachment"])
def test_two_simultaneous_posts_of_a_timeline_form_add_one_item(kind):
    user, first, second = _one_session_two_clients()
    lead = factories.LeadFactory(owner_user=user, business_unit=user.business_unit)
    url, data = _timeline_posts(lead, _timeline_tokens(first, lead))[kind]
    outcomes = run_together(
        lambda: first.post(url, data()), lambda: second.post(url, data())
    )
    assert [response.status_code for _, response in outcomes] == [302, 302]
    assert MODELS[kind].objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["\x00", "x" * 500, "not a token!"])
def test_a_tampered_token_is_no_token(rep_client, token):
    response = rep_client.post(
        reverse("leads:create"), {**NEW_LEAD, "submission_token": token}
    )
    assert response.status_code in (200, 302)
