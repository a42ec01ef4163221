"""Redirects stay on the site: a `next` pointing elsewhere (login, logout, activity
buttons, bulk actions) is never followed."""

import pytest
from django.urls import reverse

from tests import factories

EVIL = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "https:evil.example",
    "\\\\evil.example",
    "http://testserver@evil.example/",
]


@pytest.mark.parametrize("target", EVIL)
def test_login_refuses_external_next(client, rep, target):
    response = client.post(
        reverse("login") + "?next=" + target,
        {"username": "rep", "password": "leadsite"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.parametrize("target", EVIL)
@pytest.mark.parametrize("action", ["complete-activity", "cancel-activity"])
def test_activity_buttons_refuse_external_next(rep_client, rep, action, target):
    activity = factories.ActivityFactory(
        lead=factories.LeadFactory(owner_user=rep), owner=rep
    )
    response = rep_client.post(
        reverse(f"leads:{action}", args=[activity.pk]), {"next": target}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert response["Location"].startswith("/")


@pytest.mark.parametrize("target", EVIL)
def test_bulk_action_refuses_external_next(rep_client, rep, target):
    lead = factories.LeadFactory(owner_user=rep)
    for data in (
        {"action": "assign", "ids": [lead.pk], "owner_user": rep.pk, "next": target},
        {"action": "nonsense", "next": target},
    ):
        response = rep_client.post(reverse("leads:bulk"), data)
        assert response.status_code == 302
        assert "evil.example" not in response["Location"]


def test_logout_refuses_external_next(rep_client):
    response = rep_client.post(reverse("logout") + "?next=https://evil.example")
    assert "evil.example" not in response.get("Location", "")
