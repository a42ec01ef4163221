"""Webhook pages and the /api/webhooks resource: who reaches what, the forms, the
delivery log and its buttons, If-Match, replay and rotation."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.services import lifecycle
from tests import factories
from tests.task_worker import DATABASE_TASKS, queued_tasks
from webhooks.models import Delivery, DeliveryStatus, Event, PauseReason, Subscription
from webhooks.services.outbox import fan_out_events
from webhooks.services.subscriptions import create_subscription, rotate_secret

URL = "https://hooks.example.com/leadsite"
PASS = "webhooks.tasks.deliver_webhooks"


@pytest.fixture
def queue(settings):
    settings.TASKS = DATABASE_TASKS


@pytest.fixture
def admins(administrator):
    return create_subscription(
        by=administrator, url=URL, events=["lead.updated"], description="Admin hook"
    )


@pytest.fixture
def managers(manager):
    return create_subscription(
        by=manager, url=URL + "/m", events=["lead.updated"], description="Manager hook"
    )


def _deliveries(subscription, rep, count):
    """`count` delivered events for `subscription` (lead updates, fanned out)."""
    lead = factories.LeadFactory(owner_user=rep)
    for number in range(count):
        lifecycle.update_lead(lead=lead, by=rep, subject=f"Change {number}")
    fan_out_events()
    Delivery.objects.filter(subscription=subscription).update(
        status=DeliveryStatus.SUCCEEDED, attempts=1, last_status_code=200
    )
    return list(Delivery.objects.filter(subscription=subscription).order_by("id"))


# --- who reaches what ------------------------------------------------------------------


def test_a_rep_gets_403_on_the_list_and_the_form_and_404_on_a_subscription(
    rep_client, admins
):
    assert rep_client.get(reverse("webhooks:list")).status_code == 403
    assert rep_client.get(reverse("webhooks:create")).status_code == 403
    response = rep_client.post(
        reverse("webhooks:create"), {"url": URL, "events": ["lead.updated"]}
    )
    assert response.status_code == 403
    assert rep_client.get(admins.get_absolute_url()).status_code == 404
    assert Subscription.objects.count() == 1


def test_the_nav_links_webhooks_for_managers_and_administrators_only(
    rep_client, manager, administrator
):
    link = f'href="{reverse("webhooks:list")}"'
    assert link not in rep_client.get("/").content.decode()
    for user in (manager, administrator):
        rep_client.force_login(user)
        assert link in rep_client.get("/").content.decode()


def test_a_manager_sees_their_own_subscriptions_and_an_administrator_all(
    client, manager, administrator, admins, managers
):
    client.force_login(manager)
    page = client.get(reverse("webhooks:list")).content.decode()
    assert "Manager hook" in page and "Admin hook" not in page
    for name in ("detail", "edit"):
        response = client.get(reverse(f"webhooks:{name}", args=[admins.pk]))
        assert response.status_code == 404
    for name in ("delete", "rotate-secret", "pause", "resume", "test"):
        response = client.post(reverse(f"webhooks:{name}", args=[admins.pk]))
        assert response.status_code == 404
    client.force_login(administrator)
    page = client.get(reverse("webhooks:list")).content.decode()
    assert "Manager hook" in page and "Admin hook" in page
    assert client.get(managers.get_absolute_url()).status_code == 200


# --- the form -------------------------------------------------------------------------


def test_subscribing_through_the_page_shows_the_secret(manager_client, manager):
    response = manager_client.post(
        reverse("webhooks:create"),
        {
            "url": URL,
            "events": ["lead.created", "lead.qualified"],
            "description": "CRM sync",
            "is_active": "on",
        },
    )
    subscription = Subscription.objects.get()
    assert response.status_code == 302
    assert response["Location"] == subscription.get_absolute_url()
    assert (subscription.owner, subscription.events) == (
        manager,
        ["lead.created", "lead.qualified"],
    )
    assert subscription.secret.startswith("whsec_")
    page = manager_client.get(response["Location"]).content.decode()
    assert subscription.secret in page


def test_the_form_refuses_a_local_url_beside_the_field(manager_client):
    response = manager_client.post(
        reverse("webhooks:create"),
        {"url": "http://127.0.0.1:8000/hook", "events": ["lead.created"]},
    )
    assert response.status_code == 200
    assert "not a public address" in response.content.decode()
    assert not Subscription.objects.exists()


def test_an_edit_over_a_change_made_meanwhile_saves_nothing(
    manager_client, manager, managers
):
    url = reverse("webhooks:edit", args=[managers.pk])
    form = manager_client.get(url).content.decode()
    assert f'name="version" value="{managers.version}"' in form
    rotate_secret(subscription=managers, by=manager)  # raises the version
    response = manager_client.post(
        url,
        {
            "url": URL + "/changed",
            "events": ["lead.updated"],
            "is_active": "on",
            "version": managers.version,
        },
        follow=True,
    )
    assert "changed since you opened the page" in response.content.decode()
    managers.refresh_from_db()
    assert managers.url == URL + "/m"


# --- the delivery log and its buttons ---------------------------------------------------


def test_the_delivery_log_reads_in_constant_queries(manager_client, managers, rep):
    url = managers.get_absolute_url()
    _deliveries(managers, rep, 2)
    with CaptureQueriesContext(connection) as few:
        assert manager_client.get(url).status_code == 200
    _deliveries(managers, rep, 20)
    with CaptureQueriesContext(connection) as many:
        page = manager_client.get(url).content.decode()
    assert len(many) == len(few)
    assert page.count("Send again") == 22


def test_send_again_queues_the_delivery_and_a_pass(
    queue, manager_client, managers, rep
):
    [delivery] = _deliveries(managers, rep, 1)
    response = manager_client.post(
        reverse("webhooks:send-again", args=[managers.pk, delivery.pk])
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert queued_tasks() == [PASS]


def test_send_again_of_another_subscriptions_delivery_is_404(
    manager_client, managers, admins, rep
):
    [delivery] = _deliveries(admins, rep, 1)
    response = manager_client.post(
        reverse("webhooks:send-again", args=[managers.pk, delivery.pk])
    )
    assert response.status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_pause_resume_rotate_and_test_event_buttons(queue, manager_client, managers):
    secret = managers.secret
    manager_client.post(reverse("webhooks:rotate-secret", args=[managers.pk]))
    managers.refresh_from_db()
    assert managers.secret != secret and managers.previous_secret == secret

    manager_client.post(reverse("webhooks:pause", args=[managers.pk]))
    managers.refresh_from_db()
    assert (managers.is_active, managers.pause_reason) == (False, PauseReason.OWNER)
    page = manager_client.get(managers.get_absolute_url()).content.decode()
    assert 'id="paused-banner"' in page and "Resume" in page

    manager_client.post(reverse("webhooks:test", args=[managers.pk]))
    test_event = Event.objects.get(type="webhook.test")
    assert Delivery.objects.get(event=test_event).subscription == managers

    manager_client.post(reverse("webhooks:resume", args=[managers.pk]))
    managers.refresh_from_db()
    assert managers.is_active and managers.paused_at is None
    assert queued_tasks() == [PASS]


def test_a_subscription_paused_for_failing_says_so(manager_client, managers):
    Subscription.objects.filter(pk=managers.pk).update(
        is_active=False, pause_reason=PauseReason.FAILING
    )
    page = manager_client.get(managers.get_absolute_url()).content.decode()
    assert "no delivery succeeded for a day" in page
    assert (
        "Paused: failing"
        in manager_client.get(reverse("webhooks:list")).content.decode()
    )


def test_delete_removes_the_subscription_and_its_log(manager_client, managers, rep):
    _deliveries(managers, rep, 1)
    response = manager_client.post(reverse("webhooks:delete", args=[managers.pk]))
    assert response["Location"] == reverse("webhooks:list")
    assert not Subscription.objects.exists() and not Delivery.objects.exists()


def test_the_admin_lists_subscriptions_and_deliveries(admin_client, admins, rep):
    """(A superuser: the Administrator role gets the webhooks permissions once
    leads/roles.py lists the app.)"""
    _deliveries(admins, rep, 1)
    for model in ("subscription", "delivery", "event"):
        response = admin_client.get(reverse(f"admin:webhooks_{model}_changelist"))
        assert response.status_code == 200, model
    response = admin_client.get(
        reverse("admin:webhooks_subscription_change", args=[admins.pk])
    )
    assert response.status_code == 200


# --- the API ------------------------------------------------------------------------------

API = "/api/webhooks"


def _json(client, method, url, data=None, **headers):
    return getattr(client, method)(
        url,
        json.dumps(data) if data is not None else None,
        content_type="application/json",
        headers=headers,
    )


def test_api_create_answers_the_subscription_with_its_secret(manager_client, manager):
    response = _json(
        manager_client, "post", API, {"url": URL, "events": ["lead.routed"]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    subscription = Subscription.objects.get()
    assert body["secret"] == subscription.secret
    assert body["owner"] == manager.pk
    assert response["Location"] == f"{API}/{subscription.pk}"
    assert response["ETag"] == f'"{subscription.version}"'


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "http://localhost/x", "events": ["lead.routed"]}, "url"),
        ({"url": URL, "events": []}, "events"),
        ({"url": URL, "events": ["lead.exploded"]}, "events.0"),
    ],
)
def test_api_create_refusals_name_the_field(manager_client, data, field):
    response = _json(manager_client, "post", API, data)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


def test_api_refuses_reps_with_403_and_hides_subscriptions(rep_client, admins):
    for response in (
        rep_client.get(API),
        _json(rep_client, "post", API, {"url": URL, "events": ["lead.routed"]}),
    ):
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
    assert rep_client.get(f"{API}/{admins.pk}").status_code == 404
    assert Subscription.objects.count() == 1


def test_api_lists_what_the_caller_reaches(client, manager, admins, managers):
    client.force_login(manager)
    ids = [row["id"] for row in client.get(API).json()["results"]]
    assert ids == [managers.pk]
    assert client.get(f"{API}/{admins.pk}").status_code == 404


def test_api_patch_and_delete_need_the_current_etag(manager_client, managers):
    url = f"{API}/{managers.pk}"
    assert _json(manager_client, "patch", url, {"description": "x"}).status_code == 428
    stale = _json(
        manager_client, "patch", url, {"description": "x"}, **{"If-Match": '"99"'}
    )
    assert stale.status_code == 412
    assert stale.json()["current"]["id"] == managers.pk
    tag = manager_client.get(url)["ETag"]
    done = _json(
        manager_client, "patch", url, {"is_active": False}, **{"If-Match": tag}
    )
    assert done.status_code == 200
    assert done.json()["is_active"] is False and done["ETag"] != tag
    assert manager_client.delete(url, headers={"If-Match": tag}).status_code == 412
    gone = manager_client.delete(url, headers={"If-Match": done["ETag"]})
    assert gone.status_code == 204
    assert not Subscription.objects.exists()


def test_api_deliveries_replay_and_rotation(queue, manager_client, managers, rep):
    delivery = _deliveries(managers, rep, 2)[0]
    page = manager_client.get(f"{API}/{managers.pk}/deliveries").json()
    assert [row["id"] for row in page["results"]] == sorted(
        Delivery.objects.values_list("pk", flat=True), reverse=True
    )
    assert page["results"][0]["event_type"] == "lead.updated"
    replayed = manager_client.post(
        f"{API}/{managers.pk}/deliveries/{delivery.pk}/replay"
    )
    assert replayed.status_code == 202
    assert replayed.json()["status"] == "pending"
    assert queued_tasks() == [PASS]
    old = managers.secret
    rotated = manager_client.post(f"{API}/{managers.pk}/rotate-secret").json()
    assert rotated["secret"] != old and rotated["previous_secret_expires_at"]


def test_the_api_schema_describes_the_webhooks(admin_client_):
    schema = admin_client_.get("/api/schema/", headers={"Accept": "application/json"})
    paths = schema.json()["paths"]
    assert "/api/webhooks/{id}/deliveries/{delivery_id}/replay" in paths
