"""The public capture form /capture/<token>/."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from leads.models import CaptureForm, Lead, LeadSource, PossibleDuplicate
from leads.services.capture import capture_lead, save_capture_form
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def web_form(org, manager):
    org.north.default_owner = manager
    org.north.save()
    campaign = factories.CampaignFactory(name="Spring webinar")
    return factories.CaptureFormFactory(
        name="Contact us",
        business_unit=org.north,
        campaign=campaign,
        fields_shown=["first_name", "company_name", "business_phone"],
        consent_text="I agree that Contoso contacts me about my request.",
        thank_you_text="Thanks! We reply within a day.",
    )


def _post(client, form, **data):
    values = {
        "first_name": "Dana",
        "last_name": "Scully",
        "email": "dana@example.org",
        "company_name": "FBI",
        "message": "Please call me about 40 bikes.",
        "consent": "on",
        **data,
    }
    return client.post(f"/capture/{form.token}/", values)


def test_capture_form_page_needs_no_login_and_has_no_app_navigation(client, web_form):
    response = client.get(f"/capture/{web_form.token}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Contact us" in body and "I agree that Contoso" in body
    assert 'class="mainnav"' not in body
    assert "csrfmiddlewaretoken" in body


def test_capture_creates_routed_lead_with_source_campaign_and_message(
    client, web_form, manager
):
    response = _post(client, web_form)
    assert response.status_code == 302
    assert (
        client.get(response["Location"]).content.decode().count("We reply within a day")
        == 1
    )
    lead = Lead.objects.get()
    assert (lead.last_name, lead.first_name, lead.email) == (
        "Scully",
        "Dana",
        "dana@example.org",
    )
    assert lead.source == LeadSource.WEB
    assert lead.campaign == web_form.campaign
    assert lead.capture_form == web_form
    assert lead.original_message == "Please call me about 40 bikes."
    assert lead.owner_user == manager
    assert lead.business_unit == web_form.business_unit


def test_capture_errors_are_shown_beside_the_fields(client, web_form):
    response = _post(client, web_form, email="nope", consent="")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert "Please tick this box" in body
    assert not Lead.objects.exists()


def test_honeypot_turns_bots_away(client, web_form):
    response = _post(client, web_form, homepage="http://spam.example")
    assert response.status_code == 429
    assert "not sent" in response.content.decode()
    assert not Lead.objects.exists()


def test_rate_limit_per_ip(client, web_form, settings):
    settings.LEADSITE_CAPTURE_RATE_PER_IP = "3/d"
    codes = [
        _post(client, web_form, email=f"v{i}@example.org").status_code for i in range(5)
    ]
    assert codes == [302, 302, 302, 429, 429]
    assert Lead.objects.count() == 3


def test_rate_limit_per_form(client, web_form, settings):
    settings.LEADSITE_CAPTURE_RATE_PER_FORM = "2/d"
    codes = [
        _post(
            client, web_form, email=f"v{i}@example.org", REMOTE_ADDR=f"10.0.0.{i}"
        ).status_code
        for i in range(3)
    ]
    assert codes[:2] == [302, 302] and codes[2] == 429


def test_same_submission_twice_makes_one_lead_and_thanks_both_times(client, web_form):
    first = _post(client, web_form)
    second = _post(client, web_form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Lead.objects.count() == 1
    _post(client, web_form, message="Something else")
    assert Lead.objects.count() == 2


def test_same_submission_across_a_bucket_boundary_is_still_one_lead(web_form):
    data = {"last_name": "Mulder", "email": "fox@example.org", "message": "Hi"}
    start = 600 * 1000 + 590  # ten seconds before a bucket ends
    one = capture_lead(form=web_form, data=data, now=start)
    two = capture_lead(form=web_form, data=data, now=start + 20)
    assert two.repeated and two.lead == one.lead
    three = capture_lead(form=web_form, data=data, now=start + 700)
    assert not three.repeated
    assert Lead.objects.count() == 2


def test_known_email_or_phone_is_flagged_not_dropped(client, web_form, manager):
    existing = factories.LeadFactory(owner_user=manager, email="dana@example.org")
    contact = factories.ContactFactory(
        owner_user=manager, business_phone="+1 555 1234567"
    )
    _post(client, web_form, business_phone="+1 555 1234567")
    new = Lead.objects.exclude(pk=existing.pk).get()
    flags = PossibleDuplicate.objects.filter(lead=new)
    assert {(f.matched_lead_id, f.matched_contact_id, f.reason) for f in flags} == {
        (existing.pk, None, "same email"),
        (None, contact.pk, "same phone"),
    }
    owner = Client()
    owner.force_login(new.owner_user)
    page = owner.get(f"/leads/{new.pk}/").content.decode()
    assert "Possible duplicate" in page
    assert existing.get_absolute_url() in page


def test_inactive_or_unknown_token_is_404(client, web_form):
    assert client.get("/capture/no-such-token/").status_code == 404
    save_capture_form(by=None, instance=web_form, data={"is_active": False})
    assert client.get(f"/capture/{web_form.token}/").status_code == 404
    assert _post(client, web_form).status_code == 404


def test_csrf_is_enforced(web_form):
    strict = Client(enforce_csrf_checks=True)
    response = _post(strict, web_form)
    assert response.status_code == 403
    assert not Lead.objects.exists()
    page = strict.get(f"/capture/{web_form.token}/")
    token = page.cookies["csrftoken"].value
    response = _post(strict, web_form, csrfmiddlewaretoken=token)
    assert response.status_code == 302


def test_redirect_goes_to_allowed_hosts_only(client, web_form, settings):
    settings.LEADSITE_CAPTURE_REDIRECT_HOSTS = ["www.contoso.example"]
    save_capture_form(
        by=None,
        instance=web_form,
        data={"redirect_url": "https://www.contoso.example/thanks"},
    )
    assert _post(client, web_form)["Location"] == "https://www.contoso.example/thanks"
    web_form.redirect_url = "https://evil.example/phish"
    with pytest.raises(Exception, match="LEADSITE_CAPTURE_REDIRECT_HOSTS"):
        web_form.full_clean()
    CaptureForm.objects.filter(pk=web_form.pk).update(
        redirect_url="https://evil.example/x"
    )
    response = _post(client, web_form, email="other@example.org")
    assert response["Location"].endswith(f"/capture/{web_form.token}/thanks/")
    web_form.redirect_url = "//evil.example/x"
    with pytest.raises(Exception, match="LEADSITE_CAPTURE_REDIRECT_HOSTS"):
        web_form.full_clean()


def test_frame_ancestors_come_from_settings(client, web_form, settings):
    response = client.get(f"/capture/{web_form.token}/")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    settings.LEADSITE_CAPTURE_FRAME_ANCESTORS = ["https://www.contoso.example"]
    response = client.get(f"/capture/{web_form.token}/")
    assert (
        "frame-ancestors https://www.contoso.example"
        in response["Content-Security-Policy"]
    )
    assert "X-Frame-Options" not in response


def test_manager_edits_own_unit_forms_and_sees_embed_snippet(
    manager_client, web_form, org
):
    other = factories.CaptureFormFactory(name="South form", business_unit=org.south)
    listing = manager_client.get("/capture-forms/").content.decode()
    assert "Contact us" in listing and "South form" not in listing
    assert manager_client.get(f"/capture-forms/{other.pk}/").status_code == 404
    page = manager_client.get(f"/capture-forms/{web_form.pk}/").content.decode()
    assert (
        "&lt;iframe src=&quot;http://testserver/capture/" in page
        or '&lt;iframe src="http://testserver/capture/' in page
    )
    response = manager_client.post(
        "/capture-forms/new/",
        {
            "name": "Trade show follow-up",
            "business_unit": org.north.pk,
            "default_source": LeadSource.TRADE_SHOW,
            "thank_you_text": "Thanks",
            "fields_shown": ["company_name"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    created = CaptureForm.objects.get(name="Trade show follow-up")
    assert created.fields_shown == ["company_name"]
    bad = manager_client.post(
        "/capture-forms/new/",
        {
            "name": "Elsewhere",
            "business_unit": org.south.pk,
            "default_source": 8,
            "thank_you_text": "x",
        },
    )
    assert bad.status_code == 200
    assert not CaptureForm.objects.filter(name="Elsewhere").exists()


def test_reps_cannot_manage_capture_forms(rep_client):
    assert rep_client.get("/capture-forms/").status_code == 404


def test_rate_limit_per_ip_behind_a_proxy_counts_each_visitor(
    client, web_form, settings
):
    """Behind nginx every request comes from the proxy's address: the limit must
    count the client address the proxy forwards, as the login lockout does."""
    settings.LEADSITE_TRUSTED_PROXIES = 1
    settings.LEADSITE_CAPTURE_RATE_PER_IP = "2/d"
    proxy = {"REMOTE_ADDR": "127.0.0.1"}

    def post(i, forwarded):
        data = {"last_name": "Scully", "email": f"v{i}@example.org"}
        data.update(message="Call me", consent="on")
        response = client.post(
            f"/capture/{web_form.token}/",
            data,
            HTTP_X_FORWARDED_FOR=forwarded,
            **proxy,
        )
        return response.status_code

    # Three visitors, one submission each: nobody is refused.
    assert [post(i, f"203.0.113.{i}") for i in range(3)] == [302, 302, 302]
    # One bot: refused past its own limit, even when it makes up a left entry.
    bot = [post(10 + i, f"10.9.9.{i}, 198.51.100.7") for i in range(3)]
    assert bot == [302, 302, 429]
    assert post(20, "203.0.113.50") == 302
    assert Lead.objects.count() == 6


@pytest.fixture
def redis_cache(settings):
    """The configured cache as CACHE_URL=redis://... makes it (the machine's Redis,
    database 15), emptied before and after."""
    import environ

    config = environ.Env.cache_url_config("redis://127.0.0.1:6379/15")
    settings.CACHES = {"default": config}
    from django.core.cache import caches

    try:
        caches["default"].clear()
    except Exception as error:  # no Redis server on this machine
        pytest.skip(f"no Redis at 127.0.0.1:6379: {error}")
    yield caches["default"]
    caches["default"].clear()


def test_capture_with_a_redis_cache_counts_in_redis(client, web_form, redis_cache):
    """CACHE_URL=redis://... (README's setting for several app servers): a capture
    POST works, and its rate-limit counters live in Redis, shared by every server."""
    import redis

    response = _post(client, web_form)
    assert response.status_code == 302
    assert Lead.objects.filter(email="dana@example.org").count() == 1
    keys = redis.Redis(host="127.0.0.1", port=6379, db=15).keys("*")
    assert keys, "the rate-limit counters should be stored in Redis"


# --- Defaults, a public heading, an error summary ----------------------------------


def test_a_new_capture_form_starts_with_the_usual_website_fields(manager_client):
    html = manager_client.get("/capture-forms/new/").content.decode()
    checked = set(re.findall(r'name="fields_shown" value="(\w+)"[^>]*checked', html))
    assert checked == {"first_name", "company_name", "business_phone"}


def test_an_existing_capture_form_keeps_its_fields(manager_client, org):
    bare = factories.CaptureFormFactory(business_unit=org.north, fields_shown=[])
    html = manager_client.get(f"/capture-forms/{bare.pk}/").content.decode()
    assert not re.findall(r'name="fields_shown" value="\w+"[^>]*checked', html)


def test_the_admins_add_form_starts_with_the_same_fields(admin_client_):
    response = admin_client_.get("/admin/leads/captureform/add/")
    assert response.context["adminform"].form.initial["fields_shown"] == [
        "first_name",
        "company_name",
        "business_phone",
    ]


@pytest.mark.parametrize(
    ("title", "heading"),
    [("Talk to our fleet team", "Talk to our fleet team"), ("", "Contact us")],
)
def test_the_public_heading_is_the_title_never_the_internal_name(
    client, org, title, heading
):
    form = factories.CaptureFormFactory(
        business_unit=org.north, name="INTERNAL spring-webinar v2", title=title
    )
    body = client.get(f"/capture/{form.token}/").content.decode()
    assert f"<h1>{heading}</h1>" in body
    assert f"<title>{heading}</title>" in body
    assert "INTERNAL" not in body


def test_a_bad_submission_gets_a_summary_linking_to_outlined_fields(client, web_form):
    response = _post(client, web_form, last_name="", email="nope")
    assert response.status_code == 200
    body = response.content.decode()
    summary = body.split('id="capture-errors"', 1)[1].split("</div>", 1)[0]
    assert "Please correct the 2 fields marked below" in summary
    assert '<a href="#id_last_name">Last name: This field is required.</a>' in summary
    assert '<a href="#id_email">Email: Enter a valid email address.</a>' in summary
    for name in ("last_name", "email"):
        field = re.search(
            rf'<div class="capture-field([^"]*)">\s*<label for="id_{name}"', body
        )
        assert field and "has-error" in field.group(1)
        tag = re.search(rf'<input[^>]*id="id_{name}"[^>]*>', body).group(0)
        assert 'aria-invalid="true"' in tag
        assert f'aria-describedby="id_{name}_error"' in tag
        assert f'id="id_{name}_error"' in body
    company = re.search(r'<input[^>]*id="id_company_name"[^>]*>', body).group(0)
    assert "aria-invalid" not in company
    assert not Lead.objects.exists()


def test_one_bad_field_is_named_in_the_singular(client, web_form):
    body = _post(client, web_form, consent="").content.decode()
    assert "Please correct the field marked below" in body
    assert '<a href="#id_consent">Please tick this box to send the form.</a>' in body
