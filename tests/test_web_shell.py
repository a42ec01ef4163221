import pytest
from django.urls import reverse


def test_healthz_answers_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "url", ["/", "/leads/", "/accounts/", "/contacts/", "/opportunities/"]
)
def test_pages_redirect_anonymous_users_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_renders_form(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_rep_logs_in_and_sees_navigation(client, rep):
    response = client.post(
        "/login/", {"username": "rep", "password": "leadsite"}, follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    for label in [
        "Leads",
        "Accounts",
        "Contacts",
        "Opportunities",
        "Routing",
        "Reports",
    ]:
        assert f">{label}</a>" in html
    assert ">Admin</a>" not in html


def test_staff_sees_admin_link(client, administrator):
    client.force_login(administrator)
    assert ">Admin</a>" in client.get("/").content.decode()


def test_unknown_page_is_a_friendly_404(rep_client):
    response = rep_client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Not found" in response.content
