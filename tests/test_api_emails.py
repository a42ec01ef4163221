"""A lead's emails over the API: sent as the compose page sends them (placeholders,
do-not-email, the timeline's Email activity, the worker), read back with their state;
the record scope and Idempotency-Key hold."""

import json

import pytest
from django.core import mail

from leads.models import ActivityKind, EmailMessage, EmailState, EmailTemplate
from leads.services.emails import save_email_template
from tests import factories


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.DEFAULT_FROM_EMAIL = "LeadSite <crm@example.com>"
    settings.LEADSITE_REPLY_ADDRESS = "replies@crm.example.com"


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(
        owner_user=rep,
        first_name="Marta",
        last_name="Lindqvist",
        company_name="Nordic Freight",
        email="marta@nordicfreight.example",
    )


def _send(client, lead, data, **headers):
    return client.post(
        f"/api/leads/{lead.pk}/emails",
        json.dumps(data),
        content_type="application/json",
        headers=headers,
    )


def test_a_template_is_filled_queued_and_sent_by_the_worker(
    rep_client, administrator, lead, django_capture_on_commit_callbacks
):
    template = save_email_template(
        template=EmailTemplate(
            name="Hello",
            subject="{{ company }}: a short call?",
            body="Hi {{ first_name }},",
        ),
        by=administrator,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(rep_client, lead, {"template": template.pk})
    assert response.status_code == 202, response.content
    assert response.json()["subject"] == "Nordic Freight: a short call?"
    assert response.json()["state"] == EmailState.QUEUED
    [message] = mail.outbox
    assert message.to == ["Marta Lindqvist <marta@nordicfreight.example>"]
    assert message.body.startswith("Hi Marta,")
    email = EmailMessage.objects.get(pk=response.json()["id"])
    assert email.state == EmailState.SENT
    assert email.activity.kind == ActivityKind.EMAIL and email.lead_id == lead.pk
    listed = rep_client.get(f"/api/leads/{lead.pk}/emails").json()
    assert [row["id"] for row in listed] == [email.pk]
    assert listed[0]["state"] == EmailState.SENT


def test_do_not_email_is_a_conflict_and_writes_nothing(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, do_not_email=True)
    response = _send(rep_client, lead, {"subject": "Hello", "body": "Hi"})
    assert response.status_code == 409
    assert "do not" in response.json()["detail"].lower()
    assert not EmailMessage.objects.exists() and not mail.outbox


def test_an_unknown_placeholder_or_no_subject_is_a_400(rep_client, lead):
    response = _send(rep_client, lead, {"subject": "Hi {{ nickname }}", "body": "x"})
    assert response.status_code == 400
    assert "nickname" in response.content.decode()
    assert _send(rep_client, lead, {"body": "no subject"}).status_code == 400
    assert _send(rep_client, lead, {"template": 999999}).status_code == 400
    assert not EmailMessage.objects.exists()


def test_another_units_lead_is_404(client, rep2, lead):
    client.force_login(rep2)
    assert _send(client, lead, {"subject": "Hi", "body": "x"}).status_code == 404
    assert client.get(f"/api/leads/{lead.pk}/emails").status_code == 404
    assert not EmailMessage.objects.exists()


def test_a_repeated_post_with_one_idempotency_key_sends_once(rep_client, lead):
    data = {"subject": "Hello", "body": "Hi"}
    first = _send(rep_client, lead, data, idempotency_key="mail-1")
    again = _send(rep_client, lead, data, idempotency_key="mail-1")
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert EmailMessage.objects.count() == 1
