"""Web-to-lead over JSON, POST /api/capture/<token>: the public form's rules for
websites that post from their own backend."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from leads.models import Lead, LeadSource, PossibleDuplicate
from tests import factories
from tests.support import snapshot

VISITOR = {
    "first_name": "Dana",
    "last_name": "Scully",
    "email": "dana@example.org",
    "company_name": "FBI",
    "message": "Please call me about 40 bikes.",
    "consent": True,
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def web_form(org, manager):
    org.north.default_owner = manager
    org.north.save()
    return factories.CaptureFormFactory(
        name="Contact us",
        business_unit=org.north,
        campaign=factories.CampaignFactory(name="Spring webinar"),
        fields_shown=["first_name", "company_name", "business_phone"],
        consent_text="I agree that Contoso contacts me about my request.",
        thank_you_text="Thanks! We reply within a day.",
    )


def _send(form, data=None, client=None, **extra):
    client = client or Client(enforce_csrf_checks=True)
    return client.post(
        f"/api/capture/{form.token}",
        json.dumps(VISITOR if data is None else data),
        content_type="application/json",
        **extra,
    )


def test_a_backend_post_makes_a_routed_lead_without_login_or_csrf(web_form, manager):
    response = _send(web_form)
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "received": True,
        "repeated": False,
        "message": "Thanks! We reply within a day.",
    }
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.company_name) == (
        "Dana",
        "Scully",
        "FBI",
    )
    assert lead.source == LeadSource.WEB
    assert lead.campaign == web_form.campaign
    assert lead.capture_form == web_form
    assert lead.original_message == "Please call me about 40 bikes."
    assert lead.owner_user == manager


def test_the_forms_validation_answers_per_field(web_form):
    response = _send(web_form, {**VISITOR, "email": "nope", "consent": False})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["email"] == ["Enter a valid email address."]
    assert errors["consent"] == ["Please tick this box to send the form."]
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    "body", [[], "text", {"last_name": {"x": 1}}, {"last_name": ["a"]}, 7]
)
def test_a_body_of_another_shape_is_a_400(web_form, body):
    before = snapshot()
    assert _send(web_form, body).status_code == 400
    assert snapshot() == before


def test_the_honeypot_turns_bots_away(web_form):
    response = _send(web_form, {**VISITOR, "homepage": "http://spam.example"})
    assert response.status_code == 429
    assert "not sent" in response.json()["detail"]
    assert not Lead.objects.exists()


def test_the_rate_limits_of_the_form_apply(web_form, settings):
    settings.LEADSITE_CAPTURE_RATE_PER_IP = "3/d"
    codes = [
        _send(web_form, {**VISITOR, "email": f"v{i}@example.org"}).status_code
        for i in range(5)
    ]
    assert codes == [201, 201, 201, 429, 429]
    assert Lead.objects.count() == 3


def test_the_form_page_and_the_json_endpoint_share_one_limit(web_form, settings):
    settings.LEADSITE_CAPTURE_RATE_PER_FORM = "2/d"
    client = Client()
    page = client.post(
        f"/capture/{web_form.token}/",
        {**VISITOR, "consent": "on", "email": "page@example.org"},
    )
    assert page.status_code == 302
    assert _send(web_form, {**VISITOR, "email": "a@example.org"}).status_code == 201
    assert _send(web_form, {**VISITOR, "email": "b@example.org"}).status_code == 429


def test_the_same_submission_twice_is_one_lead(web_form):
    first, second = _send(web_form), _send(web_form)
    assert first.status_code == 201 and second.status_code == 200
    assert second.json()["repeated"] is True
    assert Lead.objects.count() == 1


def test_a_known_email_is_flagged(web_form, rep):
    factories.LeadFactory(owner_user=rep, email="dana@example.org")
    assert _send(web_form).status_code == 201
    assert PossibleDuplicate.objects.count() == 1


def test_an_inactive_or_unknown_form_is_404(web_form, org):
    unknown = _send(factories.CaptureFormFactory.build(token="x" * 20))
    assert unknown.status_code == 404
    inactive = factories.CaptureFormFactory(business_unit=org.north, is_active=False)
    assert _send(inactive).status_code == 404
    assert not Lead.objects.exists()


def test_the_endpoint_is_in_the_schema_without_authentication(admin_client_):
    schema = admin_client_.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/capture/{token}"]["post"]
    assert operation["operationId"] == "capture_submit"
    assert operation.get("security") in (None, [], [{}])
    assert "security" not in schema
