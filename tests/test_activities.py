"""Activities on the timeline: logging, do-not-contact, complete/cancel, and the
automatic New → Contacted step."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_fsm import TransitionNotAllowed
from django_fsm_log.models import StateLog

from leads.models import (
    Activity,
    ActivityKind,
    ActivityState,
    Direction,
    Lead,
    LeadStatus,
    Note,
)
from leads.services.timeline import cancel_activity, complete_activity, log_activity
from tests import factories


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(owner_user=rep)


def _fresh(lead):
    return Lead.objects.get(pk=lead.pk)


def test_logging_an_activity_sets_first_activity_time_once(lead, rep):
    log_activity(record=lead, by=rep, kind=ActivityKind.TASK, subject="Send brochure")
    first = _fresh(lead).first_activity_at
    assert first is not None
    log_activity(record=lead, by=rep, kind=ActivityKind.TASK, subject="Follow up")
    assert _fresh(lead).first_activity_at == first


def test_open_activity_leaves_new_lead_new(lead, rep):
    log_activity(
        record=lead,
        by=rep,
        kind=ActivityKind.PHONE_CALL,
        subject="Call back",
        direction=Direction.OUTGOING,
    )
    assert _fresh(lead).status == LeadStatus.NEW


def test_activity_logged_as_completed_marks_new_lead_contacted(lead, rep):
    activity = log_activity(
        record=lead,
        by=rep,
        kind=ActivityKind.PHONE_CALL,
        subject="Intro call",
        direction=Direction.OUTGOING,
        completed=True,
    )
    assert activity.state == ActivityState.COMPLETED
    assert activity.completed_at is not None
    assert _fresh(lead).status == LeadStatus.CONTACTED
    assert StateLog.objects.for_(_fresh(lead)).filter(by=rep).exists()


def test_completing_first_activity_later_marks_lead_contacted(lead, rep):
    activity = log_activity(
        record=lead, by=rep, kind=ActivityKind.EMAIL, subject="Hi", direction="outgoing"
    )
    complete_activity(activity=activity, by=rep)
    assert Activity.objects.get(pk=activity.pk).state == ActivityState.COMPLETED
    assert _fresh(lead).status == LeadStatus.CONTACTED
    assert StateLog.objects.for_(activity).filter(by=rep).exists()


def test_completing_activity_on_contacted_lead_keeps_status(rep):
    lead = factories.LeadFactory(owner_user=rep, contacted=True)
    activity = factories.ActivityFactory(lead=lead, owner=rep)
    complete_activity(activity=activity, by=rep)
    assert _fresh(lead).status == LeadStatus.CONTACTED


def test_completed_activity_on_disqualified_lead_is_logged_without_status_change(rep):
    lead = factories.LeadFactory(owner_user=rep, disqualified=True)
    log_activity(
        record=lead,
        by=rep,
        kind=ActivityKind.PHONE_CALL,
        subject="Late reply",
        direction=Direction.INCOMING,
        completed=True,
    )
    assert _fresh(lead).status == LeadStatus.LOST
    assert Activity.objects.filter(lead=lead).count() == 1


@pytest.mark.parametrize(
    "flag,kind",
    [("do_not_phone", ActivityKind.PHONE_CALL), ("do_not_email", ActivityKind.EMAIL)],
)
def test_do_not_contact_flag_refuses_outgoing_call_or_email(rep, flag, kind):
    lead = factories.LeadFactory(owner_user=rep, **{flag: True})
    with pytest.raises(ValidationError) as error:
        log_activity(
            record=lead,
            by=rep,
            kind=kind,
            subject="Hello",
            direction=Direction.OUTGOING,
        )
    assert "direction" in error.value.message_dict
    assert not Activity.objects.filter(lead=lead).exists()
    assert _fresh(lead).first_activity_at is None


def test_do_not_phone_still_allows_incoming_calls_and_emails(rep):
    lead = factories.LeadFactory(owner_user=rep, do_not_phone=True)
    log_activity(
        record=lead,
        by=rep,
        kind=ActivityKind.PHONE_CALL,
        subject="They called us",
        direction=Direction.INCOMING,
    )
    log_activity(
        record=lead,
        by=rep,
        kind=ActivityKind.EMAIL,
        subject="Quote",
        direction=Direction.OUTGOING,
    )
    assert Activity.objects.filter(lead=lead).count() == 2


def test_do_not_phone_refusal_is_a_clear_message_on_the_page(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, do_not_phone=True)
    url = reverse("leads:add-activity", args=["lead", lead.pk])
    response = rep_client.post(
        url,
        {"kind": "phone_call", "subject": "Cold call", "direction": "outgoing"},
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "does not allow phone calls" in text
    assert "Direction:" in text
    assert not Activity.objects.filter(lead=lead).exists()


def test_kind_specific_fields_are_dropped(lead, rep):
    from django.utils import timezone

    now = timezone.now()
    activity = log_activity(
        record=lead,
        by=rep,
        kind=ActivityKind.TASK,
        subject="Prepare quote",
        direction=Direction.OUTGOING,
        due_at=now,
        start_at=now,
    )
    assert activity.direction == ""
    assert activity.due_at == now
    assert activity.start_at is None


def test_cancel_then_complete_is_refused(lead, rep):
    activity = factories.ActivityFactory(lead=lead, owner=rep)
    cancel_activity(activity=activity, by=rep)
    assert Activity.objects.get(pk=activity.pk).state == ActivityState.CANCELED
    with pytest.raises(TransitionNotAllowed):
        complete_activity(activity=activity, by=rep)
    assert _fresh(lead).status == LeadStatus.NEW


def test_activity_form_via_page_logs_call(rep_client, lead):
    url = reverse("leads:add-activity", args=["lead", lead.pk])
    response = rep_client.post(
        url,
        {
            "kind": "phone_call",
            "subject": "Discovery call",
            "direction": "outgoing",
            "completed": "on",
        },
    )
    assert response.status_code == 302
    assert response.url.startswith(lead.get_absolute_url())
    activity = Activity.objects.get(lead=lead)
    assert activity.subject == "Discovery call"
    assert activity.state == ActivityState.COMPLETED
    assert _fresh(lead).status == LeadStatus.CONTACTED


def test_appointment_without_start_is_a_form_error(rep_client, lead):
    url = reverse("leads:add-activity", args=["lead", lead.pk])
    response = rep_client.post(
        url, {"kind": "appointment", "subject": "Demo"}, follow=True
    )
    assert "Start: An appointment needs a start time." in response.content.decode()
    assert not Activity.objects.exists()


def test_appointment_ending_before_start_is_a_form_error(rep_client, lead):
    url = reverse("leads:add-activity", args=["lead", lead.pk])
    response = rep_client.post(
        url,
        {
            "kind": "appointment",
            "subject": "Demo",
            "start_at": "2030-01-02T10:00",
            "end_at": "2030-01-02T09:00",
        },
        follow=True,
    )
    assert "cannot end before it starts" in response.content.decode()
    assert not Activity.objects.exists()


def test_activity_on_account_page(rep_client, rep):
    account = factories.AccountFactory(owner_user=rep)
    url = reverse("leads:add-activity", args=["account", account.pk])
    rep_client.post(
        url,
        {
            "kind": "appointment",
            "subject": "Site visit",
            "start_at": "2030-01-02T10:00",
        },
    )
    activity = Activity.objects.get(account=account)
    assert activity.lead is None
    assert activity.start_at is not None


def test_complete_and_cancel_buttons(rep_client, lead, rep):
    first = factories.ActivityFactory(lead=lead, owner=rep)
    second = factories.ActivityFactory(lead=lead, owner=rep)
    rep_client.post(reverse("leads:complete-activity", args=[first.pk]))
    rep_client.post(reverse("leads:cancel-activity", args=[second.pk]))
    assert Activity.objects.get(pk=first.pk).state == ActivityState.COMPLETED
    assert Activity.objects.get(pk=second.pk).state == ActivityState.CANCELED
    response = rep_client.post(
        reverse("leads:complete-activity", args=[second.pk]), follow=True
    )
    assert response.status_code == 200
    assert "no longer open" in response.content.decode()


def test_activity_outside_scope_is_404(client, rep, rep2, lead):
    activity = factories.ActivityFactory(lead=lead, owner=rep)
    client.force_login(rep2)
    assert (
        client.post(reverse("leads:complete-activity", args=[activity.pk])).status_code
        == 404
    )
    url = reverse("leads:add-activity", args=["lead", lead.pk])
    assert client.post(url, {"kind": "task", "subject": "x"}).status_code == 404
    assert Activity.objects.get(pk=activity.pk).state == ActivityState.OPEN


def test_the_add_url_shows_its_form_on_get_and_writes_only_on_post(rep_client, lead):
    url = reverse("leads:add-note", args=["lead", lead.pk])
    # Without JavaScript the disclosure's link opens the form as a page.
    page = rep_client.get(url)
    assert page.status_code == 200
    assert "<h1>Add note</h1>" in page.content.decode()
    assert f'action="{url}"' in page.content.decode()
    # The lead page's disclosure asks for the form alone.
    fragment = rep_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<h1>" not in fragment and 'name="text"' in fragment
    assert rep_client.put(url).status_code == 405
    assert not Note.objects.exists()


def test_unknown_record_type_is_404(rep_client, lead):
    url = reverse("leads:add-note", args=["campaign", lead.pk])
    assert rep_client.post(url, {"text": "x"}).status_code == 404


def test_completing_a_lead_call_from_the_opportunity_page_returns_there(
    rep_client, rep
):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    lead = factories.LeadFactory(
        owner_user=rep, qualified=True, qualifying_opportunity=opportunity
    )
    activity = factories.ActivityFactory(lead=lead, owner=rep)
    page = rep_client.get(opportunity.get_absolute_url()).content.decode()
    assert reverse("leads:complete-activity", args=[activity.pk]) in page
    response = rep_client.post(
        reverse("leads:complete-activity", args=[activity.pk]),
        {"next": opportunity.get_absolute_url()},
    )
    assert response.url == opportunity.get_absolute_url() + "#timeline"
    assert Activity.objects.get(pk=activity.pk).state == ActivityState.COMPLETED
    response = rep_client.post(
        reverse("leads:cancel-activity", args=[activity.pk]),
        {"next": "https://evil.example/"},
    )
    assert response.url == lead.get_absolute_url() + "#timeline"
