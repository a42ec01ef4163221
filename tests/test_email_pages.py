"""The pages of email from the record: compose from a template, the preview with
placeholders filled, send (queued for the worker), do-not-email refused on the
page, the template admin's placeholder check, the signature page, scope, and the
timeline's queries with many emails."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.models import Activity, EmailMessage, EmailState, EmailTemplate
from leads.services.emails import queue_email, save_email_template
from tests import factories
from tests.reading import page
from tests.support import shown_messages
from tests.task_worker import DATABASE_TASKS, queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(administrator):
    return save_email_template(
        template=EmailTemplate(
            name="Follow-up",
            subject="Next steps for {{ company }}",
            body="Hi {{ first_name }},\nshall we talk this week?\n{{ signature }}",
        ),
        by=administrator,
    )


def _lead(owner, **kwargs):
    return factories.LeadFactory(
        owner_user=owner,
        business_unit=owner.business_unit,
        first_name="Ada",
        company_name="Analytical Engines",
        email="ada@engines.example",
        **kwargs,
    )


def written(lead) -> bool:
    """Whether anything of an email was written: a message, or an activity."""
    return EmailMessage.objects.exists() or Activity.objects.filter(lead=lead).exists()


def _compose_url(record_type, record):
    return reverse("leads:compose-email", args=[record_type, record.pk])


def test_compose_from_a_template_preview_then_send(rep, rep_client, template, settings):
    settings.TASKS = DATABASE_TASKS
    rep.email_signature = "Rita from Contoso"
    rep.save()
    lead = _lead(rep)
    # The lead page links to the compose page.
    lead_page = page(rep_client.get(lead.get_absolute_url()).content)
    url = _compose_url("lead", lead)
    assert lead_page.find("a", id="compose-email").attrs["href"] == url

    form_page = page(rep_client.get(url, {"template": template.pk}).content)
    compose = form_page.find("form", id="compose-form")
    subject = compose.find("input", name="subject").attrs["value"]
    body = compose.find("textarea", name="body").raw_text.strip("\n")
    token = compose.find("input", name="submission_token").attrs["value"]
    assert subject == "Next steps for {{ company }}"
    data = {
        "template": str(template.pk),
        "subject": subject,
        "body": body,
        "submission_token": token,
    }

    preview = page(rep_client.post(url, {**data, "action": "preview"}).content)
    assert not written(lead)  # a preview writes nothing
    assert preview.find("dd", id="preview-subject").text == (
        "Next steps for Analytical Engines"
    )
    assert preview.find("pre", id="preview-body").raw_text == (
        "Hi Ada,\nshall we talk this week?\nRita from Contoso"
    )
    # The preview's form carries the text as written, placeholders and all.
    hidden = {
        i.attrs["name"]: i.attrs["value"]
        for i in preview.find("section", id="email-preview").find_all("input")
    }
    assert hidden["body"] == body and hidden["template"] == str(template.pk)

    response = rep_client.post(url, {**data, "action": "send"}, follow=True)
    [shown] = shown_messages(response)
    assert shown.startswith("Email “Next steps for Analytical Engines” to Ada ")
    assert shown.endswith("<ada@engines.example> queued for sending.")
    [email] = EmailMessage.objects.all()
    assert email.state == EmailState.QUEUED and email.template == template
    assert email.body == "Hi Ada,\nshall we talk this week?\nRita from Contoso"
    assert queued_tasks() == ["leads.tasks.send_email"]
    # The same form posted again queues nothing more.
    rep_client.post(url, {**data, "action": "send"})
    assert EmailMessage.objects.count() == 1


def test_do_not_email_is_refused_on_the_page(rep, rep_client):
    lead = _lead(rep, do_not_email=True)
    url = _compose_url("lead", lead)
    refused = page(rep_client.get(url).content)
    assert "does not allow email" in refused.find(id="email-refusal").text
    assert not refused.find_all("form", id="compose-form")
    response = rep_client.post(
        url, {"subject": "Hi", "body": "Hello", "action": "send"}, follow=True
    )
    assert response.status_code == 400
    assert "does not allow email" in shown_messages(response)[0]
    assert not written(lead)


def test_an_unknown_placeholder_is_an_error_beside_the_field(rep, rep_client):
    url = _compose_url("lead", _lead(rep))
    response = rep_client.post(
        url, {"subject": "Hi", "body": "Dear {{ nick }}", "action": "preview"}
    )
    error = page(response.content).find("p", id="id_body_error").text
    assert error.startswith("Unknown placeholder {{ nick }}")


def test_the_template_admin_refuses_an_unknown_placeholder(admin_client_):
    url = reverse("admin:leads_emailtemplate_add")
    response = admin_client_.post(
        url,
        {
            "name": "Typo",
            "subject": "Hello {{ frist_name }}",
            "body": "{{ signature }}",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "Unknown placeholder {{ frist_name }}" in response.content.decode()
    assert not EmailTemplate.objects.exists()
    admin_client_.post(
        url,
        {
            "name": "Fine",
            "subject": "Hi {{ first_name }}",
            "body": "x",
            "is_active": "on",
        },
    )
    assert EmailTemplate.objects.get().name == "Fine"
    changelist = admin_client_.get(reverse("admin:leads_emailtemplate_changelist"))
    assert changelist.status_code == 200


def test_compose_on_each_record_type_and_out_of_scope(rep, rep_client, rep2):
    account = factories.AccountFactory(owner_user=rep, email="office@x.example")
    contact = factories.ContactFactory(owner_user=rep, account=account)
    opportunity = factories.OpportunityFactory(owner_user=rep, contact=contact)
    for record_type, record in [
        ("account", account),
        ("contact", contact),
        ("opportunity", opportunity),
    ]:
        detail = page(rep_client.get(record.get_absolute_url()).content)
        url = _compose_url(record_type, record)
        assert detail.find("a", id="compose-email").attrs["href"] == url
        assert rep_client.get(url).status_code == 200
    other = factories.LeadFactory(owner_user=rep2, business_unit=rep2.business_unit)
    assert rep_client.get(_compose_url("lead", other)).status_code == 404
    email = queue_email(record=other, by=rep2, subject="Hi", body="Hi")
    retry = reverse("leads:retry-email", args=[email.pk])
    assert rep_client.post(retry).status_code == 404


def test_the_signature_page_saves_the_signature(rep, rep_client):
    url = reverse("leads:email-signature")
    assert rep_client.get(url).status_code == 200
    rep_client.post(url, {"signature": "Rita\nContoso Sales\n"})
    rep.refresh_from_db()
    assert rep.email_signature == "Rita\nContoso Sales"


def test_a_timeline_of_many_emails_costs_the_same_queries(
    rep, rep_client, django_assert_max_num_queries
):
    lead = _lead(rep)

    def queries_for_page():
        with CaptureQueriesContext(connection) as captured:
            assert rep_client.get(lead.get_absolute_url()).status_code == 200
        return len(captured)

    queue_email(record=lead, by=rep, subject="One", body="1")
    few = queries_for_page()
    for n in range(10):
        queue_email(record=lead, by=rep, subject=f"More {n}", body="n")
    with django_assert_max_num_queries(few):
        rep_client.get(lead.get_absolute_url())
