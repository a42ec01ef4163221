"""The bell with the unread count, the list (opening it marks what it shows read;
links only to records the reader may see; mark all read), the settings page per
role, and the read-only admin."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.services import lifecycle
from leads.services.routing import route_lead
from notifications.models import Channel, Kind, Notification
from notifications.services.delivery import save_preferences
from tests.notification_helpers import to_user_rule, told, web_lead
from tests.reading import page

pytestmark = pytest.mark.django_db


def _bell(client, url="/"):
    return page(client.get(url).content).find("a", css="bell")


def test_the_bell_counts_unread_and_the_list_marks_what_it_shows_read(
    rep_client, rep, rep2, manager
):
    to_user_rule(rep)
    mine = web_lead(manager)
    route_lead(lead=mine, by=manager)
    gone = web_lead(rep)
    lifecycle.assign_lead(lead=gone, by=manager, owner_user=rep2)

    bell = _bell(rep_client)
    assert bell.attrs["href"] == "/notifications/"
    assert bell.find(css="bell-count").text == "2"
    assert bell.attrs["aria-label"] == "Notifications, 2 unread"

    response = rep_client.get("/notifications/")
    html = page(response.content)
    items = html.find_all("li", css="notification")
    # Newest first; both shown as new on the visit that marks them read.
    assert [item.find("p", css="notification-text").text for item in items] == [
        f"New {gone} was assigned to {rep2}.",
        f"New {mine} was routed to you (lead form).",
    ]
    assert all("unread" in item.classes for item in items)
    assert "by " + (manager.get_full_name() or manager.username) in items[0].text
    # A link only to the record the reader may see: the lead given to another
    # unit's rep is named, not linked.
    assert [
        a.attrs["href"] for a in html.find("ul", css="notification-list").find_all("a")
    ] == [f"/leads/{mine.pk}/"]
    assert rep_client.get(f"/leads/{mine.pk}/").status_code == 200
    assert rep_client.get(f"/leads/{gone.pk}/").status_code == 404

    # Opened: read. The bell shows no count, the list nothing new.
    assert all(n.read_at is not None for n in told(rep))
    assert _bell(rep_client).find_all(css="bell-count") == []
    assert (
        "unread"
        not in page(rep_client.get("/notifications/").content)
        .find("li", css="notification")
        .classes
    )


def test_mark_all_read_reads_the_pages_not_opened(rep_client, rep, manager):
    to_user_rule(rep)
    for _ in range(30):
        route_lead(lead=web_lead(manager), by=manager)
    assert _bell(rep_client).find(css="bell-count").text == "30"
    rep_client.get("/notifications/")  # the first page: 25
    assert _bell(rep_client).find(css="bell-count").text == "5"
    assert rep_client.get("/notifications/read/").status_code == 405
    response = rep_client.post("/notifications/read/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert _bell(rep_client).find_all(css="bell-count") == []


def test_the_bell_says_99_plus_past_99(rep_client, rep):
    Notification.objects.bulk_create(
        Notification(user=rep, kind=Kind.LEAD_ASSIGNED, text=f"Lead {i}")
        for i in range(120)
    )
    bell = _bell(rep_client)
    assert bell.find(css="bell-count").text == "99+"
    assert bell.attrs["aria-label"] == "Notifications, more than 99 unread"


def test_another_users_notifications_are_never_shown_or_marked(rep_client, rep2):
    Notification.objects.create(user=rep2, kind=Kind.LEAD_ASSIGNED, text="Not yours")
    html = rep_client.get("/notifications/").content.decode()
    assert "Not yours" not in html and "Nothing yet" in html
    rep_client.post("/notifications/read/")
    assert Notification.objects.get().read_at is None


def test_the_bell_costs_one_query_per_page(rep_client, rep):
    Notification.objects.create(user=rep, kind=Kind.LEAD_ASSIGNED, text="Hello")
    with CaptureQueriesContext(connection) as ctx:
        response = rep_client.get("/leads/")
    assert b"bell-count" in response.content
    touching = [q["sql"] for q in ctx.captured_queries if "notifications_" in q["sql"]]
    assert len(touching) == 1 and "COUNT" in touching[0].upper()


def test_the_list_that_reads_them_shows_the_bell_without_them(rep_client, rep):
    """The bell's count comes with the user's groups, before the view runs; the
    list marks what it shows read, and its own bell counts what is still unread."""
    Notification.objects.create(user=rep, kind=Kind.LEAD_ASSIGNED, text="Hello")
    assert b"bell-count" in rep_client.get("/leads/").content
    html = rep_client.get("/notifications/").content
    assert b"Hello" in html and b"bell-count" not in html
    assert b"bell-count" not in rep_client.get("/leads/").content


@pytest.mark.parametrize("role", ["rep", "manager", "administrator"])
def test_settings_page_saves_a_channel_per_kind(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    html = page(client.get("/notifications/settings/").content)
    names = [select.attrs["name"] for select in html.find("main").find_all("select")]
    expected = [kind for kind in Kind.values if kind != Kind.WEBHOOK_PAUSED]
    if role != "rep":
        expected.append(Kind.WEBHOOK_PAUSED)
    assert names == expected
    data = {name: Channel.IN_APP for name in names}
    data[Kind.ACTIVITY_DUE] = Channel.DIGEST
    response = client.post("/notifications/settings/", data)
    assert response.status_code == 302
    html = page(client.get("/notifications/settings/").content)
    chosen = html.find("select", name=Kind.ACTIVITY_DUE).find("option", selected="")
    assert chosen.attrs["value"] == Channel.DIGEST
    assert (
        client.post(
            "/notifications/settings/", {**data, Kind.LEAD_ASSIGNED: "fax"}
        ).status_code
        == 200
    )


def test_a_rep_cannot_choose_webhook_pauses(rep):
    with pytest.raises(ValidationError):
        save_preferences(user=rep, channels={Kind.WEBHOOK_PAUSED: Channel.EMAIL})


@pytest.mark.parametrize("role", ["rep", "manager", "administrator"])
def test_notification_pages_answer_for_every_role(client, request, role, rep, manager):
    user = request.getfixturevalue(role)
    to_user_rule(user)
    route_lead(lead=web_lead(rep if user != rep else manager), by=None)
    client.force_login(user)
    for url in (
        "/notifications/",
        "/notifications/?page=2",
        "/notifications/settings/",
    ):
        assert client.get(url).status_code == 200, url
    assert told(user)


def test_admin_lists_notifications_read_only(admin_client_, rep):
    Notification.objects.create(user=rep, kind=Kind.LEAD_ASSIGNED, text="Hello")
    for model in ("notification", "notificationpreference"):
        changelist = admin_client_.get(f"/admin/notifications/{model}/")
        assert changelist.status_code == 200
        assert (
            admin_client_.get(f"/admin/notifications/{model}/add/").status_code == 403
        )
