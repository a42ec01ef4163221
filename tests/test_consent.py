"""Consent per person and purpose: what a capture form records (the wording and
version the visitor saw), double opt-in (the emailed link confirms once; a forged,
expired or superseded link is refused; what stays unconfirmed is flagged by the
daily job on a controlled clock), and the check on every send path (compose page,
API, the worker, "Try again")."""

import datetime
import json
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from leads.models import (
    CaptureFormPurpose,
    ConsentEvent,
    ConsentMethod,
    ConsentPurpose,
    ConsentState,
    ConsentStatus,
    EmailMessage,
    EmailState,
    EmailTemplate,
    Lead,
)
from leads.selectors.consent import has_consent
from leads.services.capture import save_capture_form
from leads.services.consent import (
    ConsentLinkRefused,
    ConsentRefused,
    confirm_consent,
    confirmation_token,
    flag_unconfirmed_consents,
    record_consent,
)
from leads.services.emails import (
    deliver_email,
    queue_email,
    retry_email,
    save_email_template,
)
from leads.tasks import flag_unconfirmed_consents as flag_task
from tests import factories

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
NEWSLETTER_WORDING = "Yes, send me the monthly newsletter (v2)."


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def newsletter(db):
    return ConsentPurpose.objects.create(name="Newsletter", code="newsletter")


@pytest.fixture
def follow_up(db):
    return ConsentPurpose.objects.create(name="Sales follow-up", code="follow_up")


@pytest.fixture
def web_form(org, manager, newsletter, follow_up):
    org.north.default_owner = manager
    org.north.save()
    form = factories.CaptureFormFactory(name="Contact us", business_unit=org.north)
    CaptureFormPurpose.objects.create(
        capture_form=form, purpose=newsletter, wording=NEWSLETTER_WORDING, version="v2"
    )
    CaptureFormPurpose.objects.create(
        capture_form=form,
        purpose=follow_up,
        wording="Sales may call me about offers.",
        version="2025-01",
        position=1,
    )
    return form


def _submit(client, form, **data):
    values = {"last_name": "Scully", "email": "dana@example.org", **data}
    return client.post(f"/capture/{form.token}/", values)


def _lead(owner, **kwargs):
    values = {"first_name": "Ada", "email": "ada@engines.example", **kwargs}
    return factories.LeadFactory(owner_user=owner, **values)


def _give(person, purpose, status=ConsentStatus.GIVEN, **kwargs):
    kwargs.setdefault("method", ConsentMethod.PHONE)
    return record_consent(
        person=person, purpose=purpose, status=status, by=None, **kwargs
    )


# --- capture ----------------------------------------------------------------------------


def test_capture_records_the_ticked_consent_with_the_wording_and_version_shown(
    client, web_form, newsletter, follow_up
):
    page = client.get(f"/capture/{web_form.token}/").content.decode()
    assert NEWSLETTER_WORDING in page and 'name="consent_newsletter"' in page
    response = _submit(client, web_form, consent_newsletter="on")
    assert response.status_code == 302
    lead = Lead.objects.get()
    [event] = ConsentEvent.objects.all()
    assert (event.lead, event.purpose, event.status, event.method) == (
        lead,
        newsletter,
        ConsentStatus.GIVEN,
        ConsentMethod.CAPTURE_FORM,
    )
    assert (event.wording, event.wording_version) == (NEWSLETTER_WORDING, "v2")
    assert event.recorded_by is None and event.capture_form == web_form
    assert has_consent(person=lead, purpose=newsletter)
    # Not ticking a box records nothing (it is no withdrawal).
    assert not has_consent(person=lead, purpose=follow_up)
    assert not ConsentState.objects.filter(purpose=follow_up).exists()


def test_the_json_capture_records_consent_by_the_purposes_field(client, web_form):
    response = client.post(
        f"/api/capture/{web_form.token}",
        json.dumps(
            {
                "last_name": "Mulder",
                "email": "fox@example.org",
                "consent_follow_up": True,
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    [state] = ConsentState.objects.all()
    assert state.purpose.code == "follow_up" and state.status == ConsentStatus.GIVEN
    assert state.event.wording_version == "2025-01"


# --- double opt-in ----------------------------------------------------------------------


def _double_opt_in(client, web_form, django_capture_on_commit_callbacks, **data):
    save_capture_form(by=None, instance=web_form, data={"double_opt_in": True})
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(client, web_form, consent_newsletter="on", **data)
    assert response.status_code == 302
    [message] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/consent/confirm/[^\s]+/)", message.body)
    return message, link.group(1)


def test_double_opt_in_is_pending_until_the_emailed_link_confirms_it_once(
    client, web_form, newsletter, django_capture_on_commit_callbacks
):
    message, link = _double_opt_in(client, web_form, django_capture_on_commit_callbacks)
    lead = Lead.objects.get()
    assert message.to == ["dana@example.org"]
    assert NEWSLETTER_WORDING in message.body
    state = ConsentState.objects.get()
    assert state.status == ConsentStatus.PENDING and state.confirmation_sent_at
    # Pending does not count as given.
    assert not has_consent(person=lead, purpose=newsletter)

    first = client.get(link)
    assert first.status_code == 200
    assert 'data-outcome="confirmed"' in first.content.decode()
    state.refresh_from_db()
    assert (state.status, state.method) == (
        ConsentStatus.GIVEN,
        ConsentMethod.DOUBLE_OPT_IN,
    )
    assert state.event.confirms.status == ConsentStatus.PENDING
    assert state.event.wording == NEWSLETTER_WORDING
    assert has_consent(person=lead, purpose=newsletter)

    second = client.get(link)
    assert second.status_code == 200
    assert "Already confirmed" in second.content.decode()
    assert ConsentEvent.objects.count() == 2


def test_a_forged_or_tampered_link_is_refused(client, web_form, newsletter):
    lead = _lead(web_form.business_unit.default_owner)
    pending = _give(lead, newsletter, ConsentStatus.PENDING)
    token = confirmation_token([pending.pk])
    for bad in (
        "not-a-token",
        token[:-2] + "xx",
        confirmation_token([pending.pk + 99]),
    ):
        response = client.get(f"/consent/confirm/{bad}/")
        assert response.status_code == 404
        assert "not valid" in response.content.decode()
    assert ConsentState.objects.get().status == ConsentStatus.PENDING


def test_an_expired_link_is_refused_and_the_daily_job_flags_the_consent(
    client, rep, newsletter, follow_up
):
    now = timezone.now()
    old_lead, new_lead = _lead(rep), _lead(rep, email="new@example.org")
    old = _give(old_lead, newsletter, ConsentStatus.PENDING, at=now - 8 * DAY)
    _give(new_lead, newsletter, ConsentStatus.PENDING, at=now - 6 * DAY)
    _give(new_lead, follow_up, at=now - 30 * DAY)  # given: never flagged
    with pytest.raises(ConsentLinkRefused) as refused:
        confirm_consent(token=confirmation_token([old.pk]), now=now)
    assert refused.value.code == "expired"
    response = client.get(f"/consent/confirm/{confirmation_token([old.pk])}/")
    assert response.status_code == 410 and "expired" in response.content.decode()

    assert flag_unconfirmed_consents(now=now) == 1
    assert flag_unconfirmed_consents(now=now) == 0  # flagged once
    flagged = ConsentState.objects.get(unconfirmed_at__isnull=False)
    assert flagged.lead == old_lead and flagged.unconfirmed
    # A day later the other one's week is over too: the scheduled task flags it.
    assert flag_unconfirmed_consents(now=now + 1 * DAY) == 1
    assert flag_task.call() == {"flagged": 0}
    assert not has_consent(person=old_lead, purpose=newsletter)


def test_the_link_of_a_withdrawn_consent_confirms_nothing(
    client, web_form, newsletter, django_capture_on_commit_callbacks
):
    _, link = _double_opt_in(client, web_form, django_capture_on_commit_callbacks)
    lead = Lead.objects.get()
    _give(lead, newsletter, ConsentStatus.WITHDRAWN, method=ConsentMethod.EMAIL)
    response = client.get(link)
    assert response.status_code == 409
    assert ConsentState.objects.get().status == ConsentStatus.WITHDRAWN
    assert not has_consent(person=lead, purpose=newsletter)


def test_a_new_capture_clears_the_unconfirmed_flag(client, rep, newsletter):
    lead = _lead(rep)
    _give(lead, newsletter, ConsentStatus.PENDING, at=timezone.now() - 9 * DAY)
    flag_unconfirmed_consents()
    assert ConsentState.objects.get().unconfirmed
    _give(lead, newsletter, ConsentStatus.PENDING)
    assert not ConsentState.objects.get().unconfirmed


def test_the_consent_log_is_append_only(rep, newsletter):
    event = _give(_lead(rep), newsletter)
    event.status = ConsentStatus.WITHDRAWN
    with pytest.raises(Exception, match="append-only"):
        event.save()


# --- the check on every send ------------------------------------------------------------


@pytest.fixture
def newsletter_template(administrator, newsletter):
    return save_email_template(
        template=EmailTemplate(
            name="Newsletter",
            subject="News",
            body="Hi {{ first_name }}",
            purpose=newsletter,
        ),
        by=administrator,
    )


def test_the_compose_page_refuses_a_purpose_without_consent_beside_the_field(
    rep, rep_client, newsletter, django_capture_on_commit_callbacks
):
    lead = _lead(rep)
    url = f"/timeline/lead/{lead.pk}/emails/compose/"
    form = rep_client.get(url).content.decode()
    assert 'name="purpose"' in form and "Newsletter" in form
    data = {
        "subject": "News",
        "body": "Hi",
        "purpose": newsletter.pk,
        "submission_token": "t-1",
        "action": "send",
    }
    response = rep_client.post(url, data)
    assert response.status_code == 400
    field = response.context["form"]["purpose"]
    assert "has not consented to “Newsletter”" in " ".join(field.errors)
    assert not EmailMessage.objects.exists()
    _give(lead, newsletter)
    with django_capture_on_commit_callbacks(execute=True):
        sent = rep_client.post(url, {**data, "submission_token": "t-2"})
    assert sent.status_code == 302
    assert EmailMessage.objects.get().purpose == newsletter
    assert len(mail.outbox) == 1


def test_a_template_binds_its_purpose_and_the_compose_form_starts_with_it(
    rep, rep_client, newsletter_template, newsletter
):
    lead = _lead(rep)
    url = f"/timeline/lead/{lead.pk}/emails/compose/"
    page = rep_client.get(url, {"template": newsletter_template.pk})
    assert page.context["form"]["purpose"].value() == newsletter.pk
    with pytest.raises(ConsentRefused):
        queue_email(
            record=lead,
            by=rep,
            subject="News",
            body="Hi",
            template=newsletter_template,
        )
    assert not EmailMessage.objects.exists()


@pytest.mark.parametrize(
    "status", [None, ConsentStatus.PENDING, ConsentStatus.WITHDRAWN]
)
def test_the_api_answers_409_without_given_consent(
    rep, rep_client, newsletter, newsletter_template, status
):
    lead = _lead(rep)
    if status:
        _give(lead, newsletter, status)
    for body in (
        {"template": newsletter_template.pk},
        {"subject": "Hi", "body": "x", "purpose": newsletter.pk},
    ):
        response = rep_client.post(
            f"/api/leads/{lead.pk}/emails",
            json.dumps(body),
            content_type="application/json",
        )
        assert response.status_code == 409, response.content
        assert "Newsletter" in response.json()["detail"]
    assert not EmailMessage.objects.exists() and not mail.outbox


def test_the_api_sends_with_given_consent_and_still_refuses_do_not_email(
    rep, rep_client, newsletter
):
    lead = _lead(rep)
    _give(lead, newsletter)
    body = {"subject": "Hi", "body": "x", "purpose": newsletter.pk}
    response = rep_client.post(
        f"/api/leads/{lead.pk}/emails",
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    assert response.json()["purpose"] == newsletter.pk
    blocked = _lead(rep, do_not_email=True, email="no@example.org")
    _give(blocked, newsletter)
    response = rep_client.post(
        f"/api/leads/{blocked.pk}/emails",
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert EmailMessage.objects.count() == 1


def test_consent_withdrawn_after_queueing_stops_the_worker_and_try_again(
    rep, newsletter, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}
    }
    lead = _lead(rep)
    _give(lead, newsletter)
    email = queue_email(
        record=lead, by=rep, subject="News", body="Hi", purpose=newsletter
    )
    _give(lead, newsletter, ConsentStatus.WITHDRAWN, method=ConsentMethod.EMAIL)
    delivery = deliver_email(email_id=email.pk)
    assert delivery.state == EmailState.FAILED
    assert "withdrew their consent" in delivery.reason
    assert not mail.outbox
    email.refresh_from_db()
    with pytest.raises(ConsentRefused):
        retry_email(email=email, by=rep)
    assert EmailMessage.objects.get().state == EmailState.FAILED


def test_company_addresses_cannot_take_a_purpose_and_contacts_need_their_own(
    rep, newsletter
):
    account = factories.AccountFactory(owner_user=rep)
    with pytest.raises(ConsentRefused, match="company address"):
        queue_email(
            record=account, by=rep, subject="News", body="Hi", purpose=newsletter
        )
    contact = factories.ContactFactory(owner_user=rep, account=account)
    opportunity = factories.OpportunityFactory(
        owner_user=rep, account=account, contact=contact
    )
    with pytest.raises(ConsentRefused):
        queue_email(
            record=opportunity, by=rep, subject="News", body="Hi", purpose=newsletter
        )
    _give(contact, newsletter, method=ConsentMethod.IN_PERSON)
    email = queue_email(
        record=opportunity, by=rep, subject="News", body="Hi", purpose=newsletter
    )
    assert email.purpose == newsletter
    # Without a purpose nothing is asked (a reply, a personal message).
    assert queue_email(record=account, by=rep, subject="Re: offer", body="Hi")
