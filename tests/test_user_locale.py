"""Each user's language and time zone: the pages follow the user's own setting,
else the switcher's choice, else the browser; times show in the user's zone;
notifications and their emails speak the recipient's language."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.template import engines
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from accounts.models import User
from accounts.services.profile import update_locale
from notifications.models import EmailState, Kind, Notification
from notifications.services.delivery import Message, message_text, notify
from notifications.services.email import send_pending_emails
from tests.reading import page

NOON_UTC = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC)
COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def _site_language_after():
    """Requests activate a language and a zone in this thread: later tests get the
    site's again."""
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


def in_language(language: str, msgid: str, **params) -> str:
    with translation.override(language):
        text = gettext(msgid)
    return text % params if params else text


def speaks(response, language: str) -> bool:
    html = page(response.content)
    return (
        html.find("html").attrs.get("lang") == language
        and response.headers.get("Content-Language") == language
    )


def set_locale(user, language="", time_zone=""):
    return update_locale(user=user, by=user, language=language, time_zone=time_zone)


def test_the_catalogs_translate_the_settings_pages_words():
    """The committed .mo files are loaded: German and French differ from English."""
    assert in_language("de", "My settings") == "Meine Einstellungen"
    assert in_language("fr", "My settings") == "Mes paramètres"


def test_a_german_user_sees_german_and_berlin_times(client, rep):
    set_locale(rep, "de", "Europe/Berlin")
    Notification.objects.create(
        user=rep, kind=Kind.LEAD_ASSIGNED, text="ACME", created_at=NOON_UTC
    )
    client.force_login(rep)
    response = client.get("/notifications/")
    assert speaks(response, "de")
    text = page(response.content).text
    assert "15.01.2026, 13:00" in text
    assert "Meine Einstellungen" in text and "My settings" not in text


def test_a_user_without_settings_sees_the_sites_language_and_zone(client, rep):
    Notification.objects.create(
        user=rep, kind=Kind.LEAD_ASSIGNED, text="ACME", created_at=NOON_UTC
    )
    client.force_login(rep)
    response = client.get("/notifications/")
    assert speaks(response, "en")
    assert "Jan 15, 2026, 12:00 PM" in page(response.content).text


def test_the_users_own_language_wins_over_cookie_and_browser(client, rep):
    set_locale(rep, "fr")
    client.force_login(rep)
    client.cookies[COOKIE] = "de"
    response = client.get("/account/settings/", HTTP_ACCEPT_LANGUAGE="de")
    assert speaks(response, "fr")
    assert "Mes paramètres" in page(response.content).text


def test_without_a_language_of_their_own_a_user_follows_the_browser(client, rep):
    client.force_login(rep)
    assert speaks(client.get("/account/settings/", HTTP_ACCEPT_LANGUAGE="fr"), "fr")
    client.cookies[COOKIE] = "de"
    response = client.get("/account/settings/", HTTP_ACCEPT_LANGUAGE="fr")
    assert speaks(response, "de"), "the switcher's cookie comes before the browser"


def test_accept_language_fr_gives_a_french_login_page(client, db):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5")
    assert speaks(response, "fr")
    text = page(response.content).text
    assert in_language("fr", "Log in to LeadSite") in text
    assert "Log in to LeadSite" not in text
    assert "Vary" in response.headers and "Accept-Language" in response["Vary"]


def test_an_unknown_browser_language_gives_english(client, db):
    assert speaks(client.get("/login/", HTTP_ACCEPT_LANGUAGE="ja,ko;q=0.8"), "en")


def test_the_switcher_on_the_login_page_changes_the_language(client, db):
    html = page(client.get("/login/").content)
    switcher = html.find("form", css="language-switcher")
    assert switcher.attrs["action"] == "/i18n/setlang/"
    options = [o.attrs["value"] for o in switcher.find_all("option")]
    assert options == ["en", "de", "fr"]
    assert switcher.find("button").attrs["type"] == "submit"
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/login/"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.cookies[COOKIE].value == "de"
    followed = client.get("/login/", HTTP_ACCEPT_LANGUAGE="fr")
    assert speaks(followed, "de")
    selected = page(followed.content).find("option", selected="")
    assert selected.attrs["value"] == "de"


def test_the_switcher_saves_a_signed_in_users_language(client, rep):
    client.force_login(rep)
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/leads/"})
    assert response.status_code == 302 and response["Location"] == "/leads/"
    rep.refresh_from_db()
    assert rep.language == "fr"
    client.cookies.pop(COOKIE)
    assert speaks(client.get("/account/settings/"), "fr"), "kept without the cookie"


def test_the_switcher_ignores_a_language_the_site_lacks(client, rep):
    client.force_login(rep)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/leads/"})
    rep.refresh_from_db()
    assert rep.language == ""
    assert COOKIE not in client.cookies


def test_the_settings_page_saves_language_and_time_zone(client, rep):
    client.force_login(rep)
    html = page(client.get("/account/settings/").content)
    zone_select = html.find("select", name="time_zone")
    labels = [g.attrs["label"] for g in zone_select.find_all("optgroup")]
    assert "Europe" in labels and "America" in labels
    assert "Europe/Berlin" in [o.attrs["value"] for o in zone_select.find_all("option")]
    response = client.post(
        "/account/settings/", {"language": "de", "time_zone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.language, rep.time_zone) == ("de", "Europe/Berlin")
    followed = client.get(response["Location"])
    assert speaks(followed, "de")
    assert in_language("de", "Your settings are saved.") in page(followed.content).text
    assert page(followed.content).find("select", name="time_zone").find(
        "option", selected=""
    ).attrs["value"] == ("Europe/Berlin")


def test_the_settings_page_refuses_a_zone_that_does_not_exist(client, rep):
    client.force_login(rep)
    response = client.post("/account/settings/", {"language": "", "time_zone": "Mars"})
    assert response.status_code == 200
    assert page(response.content).find("p", css="error")
    rep.refresh_from_db()
    assert rep.time_zone == ""


def test_choosing_the_browsers_language_forgets_the_switchers_cookie(client, rep):
    set_locale(rep, "de")
    client.force_login(rep)
    client.cookies[COOKIE] = "de"
    response = client.post("/account/settings/", {"language": "", "time_zone": ""})
    assert response.status_code == 302
    assert client.cookies[COOKIE].value == ""  # deleted
    assert speaks(client.get("/account/settings/", HTTP_ACCEPT_LANGUAGE="fr"), "fr")


def test_only_the_user_changes_their_language(rep, manager):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        update_locale(user=rep, by=manager, language="de")


def test_the_admin_user_form_offers_language_and_time_zone(admin_client_, rep):
    html = page(admin_client_.get(f"/admin/accounts/user/{rep.pk}/change/").content)
    assert html.find("select", name="language")
    assert html.find("select", name="time_zone").find("option", value="Europe/Paris")


def test_notifications_are_written_in_each_recipients_language(rep, rep2, manager):
    set_locale(rep, "fr")
    set_locale(rep2, "de")
    text = message_text("lead_assigned", lead="ACME", trigger="manual")
    with translation.override("de"):  # the acting user's language does not matter
        notify(
            [
                Message(user_id=user.pk, kind=Kind.LEAD_ASSIGNED, text=text)
                for user in (rep, rep2, manager)
            ]
        )
    written = dict(Notification.objects.values_list("user__username", "text"))
    assert written == {
        "rep": in_language("fr", "%(lead)s was assigned to you.", lead="ACME"),
        "rep2": in_language("de", "%(lead)s was assigned to you.", lead="ACME"),
        "manager": "ACME was assigned to you.",
    }


def test_a_notification_email_speaks_the_recipients_language_and_zone(rep):
    rep.email = "rep@example.com"
    rep.first_name = "Rita"
    rep.save(update_fields=["email", "first_name"])
    set_locale(rep, "de", "Europe/Berlin")
    Notification.objects.create(
        user=rep,
        kind=Kind.LEAD_ASSIGNED,
        text="ACME",
        created_at=NOON_UTC,
        email_state=EmailState.PENDING,
    )
    assert send_pending_emails(now=NOON_UTC) == 1
    (message,) = mail.outbox
    assert "15.01.2026, 13:00" in message.body
    name = rep.get_full_name() or rep.username
    assert in_language("de", "Hello %(name)s,", name=name) in message.body
    assert translation.get_language() == settings.LANGUAGE_CODE


def test_jinja2_templates_translate_with_djangos_catalogs():
    template = engines["jinja2"].from_string(
        '{{ _("Yes") }}|{{ _("Select %(name)s", name=x) }}|'
        '{{ ngettext("%(num)d day", "%(num)d days", 3) }}'
    )
    with translation.override("de"):
        yes, select, days = template.render({"x": "<b>"}).split("|")
    assert yes == "Ja"
    assert select == in_language("de", "Select %(name)s", name="&lt;b&gt;")
    with translation.override("de"):
        assert days == ngettext("%(num)d day", "%(num)d days", 3) % {"num": 3}
    with translation.override("fr"):
        assert template.render({"x": "a"}).startswith("Oui|")


def test_the_javascript_catalog_is_served_to_anyone_before_the_scripts(client, db):
    response = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert b"django.gettext" in response.content
    scripts = [
        s.attrs["src"]
        for s in page(client.get("/login/").content).find_all("script")
        if "src" in s.attrs
    ]
    # Before every other script; one URL per language (browsers keep it a day).
    assert scripts[0] == "/jsi18n/?lang=en"


def test_a_stored_time_zone_the_machine_lacks_falls_back_to_the_sites(client, rep):
    User.objects.filter(pk=rep.pk).update(time_zone="Nowhere/Land")
    Notification.objects.create(
        user=rep, kind=Kind.LEAD_ASSIGNED, text="ACME", created_at=NOON_UTC
    )
    client.force_login(rep)
    assert "Jan 15, 2026, 12:00 PM" in page(client.get("/notifications/").content).text


def test_each_language_remembers_its_own_translations():
    """Lookups are remembered per language (leadsite.core.locale.
    remember_translations): switching back and forth never answers in the
    language looked up before."""
    expected = {
        "de": ("Routing-Verlauf", "Verlauf"),
        "fr": ("Historique du routage", "Historique"),
        "en": ("Routing history", "History"),
    }
    for _round in range(2):
        for language, (plain, other) in expected.items():
            with translation.override(language):
                assert gettext("Routing history") == plain
                assert gettext("History") == other
