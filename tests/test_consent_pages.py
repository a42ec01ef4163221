"""Consent on the pages: the consent panel of a lead and a contact (a rep records a
withdrawal; a record outside the rep's scope is a 404), the lead list's consent
filter, the capture-form editor's consent choices (changed wording needs a new
version), the admin, an import column mapped to a purpose, the API's capture
forms, and the demo data."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from leads.models import (
    CaptureFormPurpose,
    ConsentEvent,
    ConsentMethod,
    ConsentPurpose,
    ConsentState,
    ConsentStatus,
    EmailTemplate,
    Lead,
)
from leads.services.consent import flag_unconfirmed_consents, record_consent
from tests import factories
from tests.import_helpers import csv_upload, latest_batch, start, undo, upload
from tests.reading import page
from tests.support import change_form_data, shown_messages
from tests.task_worker import DATABASE_TASKS, run_queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsletter(db):
    return ConsentPurpose.objects.create(name="Newsletter", code="newsletter")


@pytest.fixture
def follow_up(db):
    return ConsentPurpose.objects.create(name="Sales follow-up", code="follow_up")


def _record_url(record_type, record):
    return reverse("leads:consent-record", args=[record_type, record.pk])


def _state(record, purpose):
    where = {"lead": record} if isinstance(record, Lead) else {"contact": record}
    return ConsentState.objects.filter(purpose=purpose, **where).first()


# --- the record panel -------------------------------------------------------------------


def test_the_lead_panel_shows_each_purpose_and_a_rep_records_a_withdrawal(
    rep, rep_client, newsletter, follow_up
):
    lead = factories.LeadFactory(owner_user=rep)
    form = factories.CaptureFormFactory(name="Spring webinar")
    record_consent(
        person=lead,
        purpose=newsletter,
        status=ConsentStatus.GIVEN,
        method=ConsentMethod.CAPTURE_FORM,
        by=None,
        wording="Send me the newsletter.",
        wording_version="v3",
        capture_form=form,
    )
    panel = page(rep_client.get(lead.get_absolute_url()).content).find(
        "section", id="consent"
    )
    given = panel.find("li", **{"data-purpose": "newsletter"})
    assert given.attrs["data-status"] == "given"
    assert "Capture form “Spring webinar”, wording v3" in given.text
    assert "the person themselves" in given.text
    assert panel.find("li", **{"data-purpose": "follow_up"}).attrs["data-status"] == (
        "none"
    )

    response = rep_client.post(
        _record_url("lead", lead),
        {
            "purpose": newsletter.pk,
            "status": "withdrawn",
            "method": "phone",
            "note": "Called to unsubscribe.",
        },
        follow=True,
    )
    assert shown_messages(response) == [
        "Consent to “Newsletter” recorded as withdrawn."
    ]
    state = _state(lead, newsletter)
    assert (state.status, state.method, state.event.recorded_by) == (
        ConsentStatus.WITHDRAWN,
        ConsentMethod.PHONE,
        rep,
    )
    panel = page(response.content).find("section", id="consent")
    withdrawn = panel.find("li", **{"data-purpose": "newsletter"})
    assert withdrawn.attrs["data-status"] == "withdrawn"
    assert "Phone" in withdrawn.text and str(rep) in withdrawn.text
    # The log loads when its disclosure opens (GET on its URL, as htmx asks).
    history_url = panel.find("details", id="consent-history").attrs["hx-get"]
    history = rep_client.get(history_url, headers={"HX-Request": "true"})
    assert "Called to unsubscribe." in page(history.content).text
    # The form loads the same way, with the active purposes to choose from.
    record_url = panel.find("details", id="consent-record").attrs["hx-get"]
    form = page(rep_client.get(record_url, headers={"HX-Request": "true"}).content)
    assert form.find("form", id="consent-form").attrs["action"] == record_url
    assert "Newsletter" in form.find("select", id="id_purpose").text
    assert ConsentEvent.objects.count() == 2  # the log keeps the first


def test_a_record_outside_the_reps_scope_is_a_404(rep, rep2, client, newsletter):
    lead = factories.LeadFactory(owner_user=rep2)
    contact = factories.ContactFactory(owner_user=rep2)
    client.force_login(rep)
    data = {"purpose": newsletter.pk, "status": "given", "method": "phone"}
    assert client.post(_record_url("lead", lead), data).status_code == 404
    assert client.post(_record_url("contact", contact), data).status_code == 404
    account = factories.AccountFactory(owner_user=rep)
    assert client.post(_record_url("account", account), data).status_code == 404
    assert not ConsentEvent.objects.exists()


def test_the_contact_page_has_the_panel_and_records_consent_in_person(
    rep, rep_client, newsletter
):
    contact = factories.ContactFactory(owner_user=rep)
    body = rep_client.get(contact.get_absolute_url()).content
    assert page(body).find_all("section", id="consent")
    response = rep_client.post(
        _record_url("contact", contact),
        {"purpose": newsletter.pk, "status": "given", "method": "in_person"},
    )
    assert response.status_code == 302
    assert response["Location"] == contact.get_absolute_url() + "#consent"
    assert _state(contact, newsletter).status == ConsentStatus.GIVEN


def test_an_incomplete_form_is_shown_again_with_its_errors(rep, rep_client):
    lead = factories.LeadFactory(owner_user=rep)
    response = rep_client.post(
        _record_url("lead", lead), {"status": "given", "method": "import"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors.keys() == {"purpose", "method"}
    assert not ConsentEvent.objects.exists()


def test_unconfirmed_consent_shows_on_the_lead_and_the_filter_finds_it(
    rep, rep_client, newsletter
):
    stale = factories.LeadFactory(owner_user=rep, last_name="Stale")
    fresh = factories.LeadFactory(owner_user=rep, last_name="Fresh")
    now = timezone.now()
    for lead, age in ((stale, 9), (fresh, 1)):
        record_consent(
            person=lead,
            purpose=newsletter,
            status=ConsentStatus.PENDING,
            method=ConsentMethod.CAPTURE_FORM,
            by=None,
            at=now - datetime.timedelta(days=age),
        )
    flag_unconfirmed_consents(now=now)
    stale_page = page(rep_client.get(stale.get_absolute_url()).content)
    alert = stale_page.find("div", id="consent-unconfirmed")
    assert "Consent unconfirmed" in alert.text and "Newsletter" in alert.text
    fresh_page = page(rep_client.get(fresh.get_absolute_url()).content)
    assert not fresh_page.find_all("div", id="consent-unconfirmed")
    listed = rep_client.get("/leads/", {"view": "all", "consent": "unconfirmed"})
    assert [lead.pk for lead in listed.context["leads"]] == [stale.pk]
    assert [c["label"] for c in listed.context["chips"]] == ["Consent"]
    pending = rep_client.get("/leads/", {"view": "all", "consent": "pending"})
    assert {lead.pk for lead in pending.context["leads"]} == {stale.pk, fresh.pk}


# --- the capture-form editor and the admin ---------------------------------------------


def test_the_capture_form_editor_sets_the_consents_asked_and_versions_wording(
    manager, manager_client, org, newsletter, follow_up
):
    form = factories.CaptureFormFactory(business_unit=org.north)
    url = reverse("leads:capture-form-edit", args=[form.pk])
    edit = manager_client.get(url).context["form"]
    data = {
        name: value
        for name, value in {
            **{n: edit[n].value() for n in edit.fields},
            f"ask_{newsletter.pk}": "on",
            f"wording_{newsletter.pk}": "Yes, send me the newsletter.",
            f"version_{newsletter.pk}": "v1",
            "double_opt_in": "on",
        }.items()
        if value not in (None, False)
    }
    data["fields_shown"] = form.fields_shown
    response = manager_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    [item] = CaptureFormPurpose.objects.filter(capture_form=form)
    assert (item.purpose, item.version) == (newsletter, "v1")
    form.refresh_from_db()
    assert form.double_opt_in

    changed = {**data, f"wording_{newsletter.pk}": "Send me news and offers."}
    refused = manager_client.post(url, changed)
    assert refused.status_code == 200
    assert "give it a new version" in refused.content.decode()
    item.refresh_from_db()
    assert item.wording == "Yes, send me the newsletter."
    manager_client.post(url, {**changed, f"version_{newsletter.pk}": "v2"})
    item.refresh_from_db()
    assert (item.wording, item.version) == ("Send me news and offers.", "v2")
    # Not asked any more: the row goes (the consents given keep their wording).
    manager_client.post(url, {k: v for k, v in changed.items() if "ask_" not in k})
    assert not CaptureFormPurpose.objects.filter(capture_form=form).exists()


def test_purposes_are_the_administrators_and_read_only_in_the_admin_for_others(
    admin_client_, manager, client, newsletter
):
    listed = admin_client_.get("/admin/leads/consentpurpose/")
    assert listed.status_code == 200 and "Newsletter" in listed.content.decode()
    response = admin_client_.post(
        "/admin/leads/consentpurpose/add/",
        {"name": "Events", "code": "events", "description": "", "is_active": "on"},
    )
    assert response.status_code == 302
    assert ConsentPurpose.objects.filter(code="events").exists()
    for path in ("consentevent", "consentstate"):
        assert admin_client_.get(f"/admin/leads/{path}/").status_code == 200
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    change = f"/admin/leads/consentpurpose/{newsletter.pk}/change/"
    client.post(change, {"name": "Renamed", "code": "newsletter", "is_active": "on"})
    newsletter.refresh_from_db()
    assert newsletter.name == "Newsletter"


def test_the_capture_form_admin_asks_for_a_purpose_through_its_inline(
    admin_client_, org, newsletter
):
    form = factories.CaptureFormFactory(business_unit=org.north)
    url = f"/admin/leads/captureform/{form.pk}/change/"
    _, data = change_form_data(admin_client_, url)
    data["fields_shown"] = json.dumps(form.fields_shown)
    prefix = "consent_purposes"
    row = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-0-purpose": newsletter.pk,
        f"{prefix}-0-wording": "Newsletter, please.",
        f"{prefix}-0-version": "v1",
        f"{prefix}-0-position": "0",
    }
    response = admin_client_.post(url, {**data, **row})
    assert response.status_code == 302, response.context["errors"]
    item = CaptureFormPurpose.objects.get(capture_form=form)
    assert (item.wording, item.version) == ("Newsletter, please.", "v1")
    _, data = change_form_data(admin_client_, url)
    data["fields_shown"] = json.dumps(form.fields_shown)
    edit = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-0-id": item.pk,
        f"{prefix}-0-capture_form": form.pk,
        f"{prefix}-0-purpose": newsletter.pk,
        f"{prefix}-0-wording": "Newsletter and offers, please.",
        f"{prefix}-0-version": "v1",
        f"{prefix}-0-position": "0",
    }
    refused = admin_client_.post(url, {**data, **edit})
    assert refused.status_code == 200
    assert "give it a new version" in refused.content.decode()
    item.refresh_from_db()
    assert item.wording == "Newsletter, please."


# --- import, API, demo data ------------------------------------------------------------


def test_an_import_column_mapped_to_a_purpose_records_consent_by_import(
    manager, manager_client, settings, newsletter
):
    settings.TASKS = DATABASE_TASKS
    existing = factories.LeadFactory(owner_user=manager, email="old@example.org")
    text = (
        "subject,lastname,emailaddress1,Newsletter\n"
        "T1,Yes,yes@example.org,yes\n"
        "T2,No,no@example.org,no\n"
        "T3,Empty,empty@example.org,\n"
        "T4,Old,old@example.org,ja\n"
    )
    upload(manager_client, csv_upload(text))
    batch = latest_batch()
    mapping = manager_client.get(f"/leads/import/{batch.pk}/").content.decode()
    assert 'value="consent:newsletter"' in mapping
    batch = start(
        manager_client, batch, col_3="consent:newsletter", duplicate_mode="update"
    )
    assert batch.failed_count == 0
    states = {
        state.lead.email: state
        for state in ConsentState.objects.select_related("lead", "event")
    }
    assert {email: s.status for email, s in states.items()} == {
        "yes@example.org": ConsentStatus.GIVEN,
        "no@example.org": ConsentStatus.WITHDRAWN,
        existing.email: ConsentStatus.GIVEN,  # matched and updated
    }
    assert {s.method for s in states.values()} == {ConsentMethod.IMPORT}
    assert {s.event.recorded_by for s in states.values()} == {manager}
    assert {s.event.import_batch for s in states.values()} == {batch}
    # The same file again records nothing new.
    upload(manager_client, csv_upload(text))
    again = start(
        manager_client,
        latest_batch(),
        col_3="consent:newsletter",
        duplicate_mode="update",
    )
    assert ConsentEvent.objects.count() == 3
    # Undone: the leads it created go with their consent; the existing lead keeps it.
    undo(manager_client, again)
    undo(manager_client, batch)
    assert list(ConsentState.objects.values_list("lead", flat=True)) == [existing.pk]


def test_a_bad_consent_cell_fails_its_row(manager_client, settings, newsletter):
    settings.TASKS = DATABASE_TASKS
    text = "subject,lastname,emailaddress1,Newsletter\nT,L,l@example.org,perhaps\n"
    upload(manager_client, csv_upload(text))
    batch = start(manager_client, latest_batch(), col_3="consent:newsletter")
    assert batch.failed_count == 1
    assert not ConsentEvent.objects.exists()


def test_the_api_lists_the_consents_a_capture_form_asks(
    manager_client, org, newsletter
):
    form = factories.CaptureFormFactory(business_unit=org.north)
    CaptureFormPurpose.objects.create(
        capture_form=form,
        purpose=newsletter,
        wording="Newsletter, please.",
        version="7",
    )
    data = manager_client.get(f"/api/capture-forms/{form.pk}").json()
    assert data["double_opt_in"] is False
    assert data["consent_purposes"] == [
        {
            "purpose": "newsletter",
            "purpose_name": "Newsletter",
            "field": "consent_newsletter",
            "wording": "Newsletter, please.",
            "version": "7",
        }
    ]


def test_the_demo_data_has_purposes_and_consents_and_stays_idempotent():
    call_command("seed_demo", stdout=io.StringIO(), leads=100, seed=7)
    assert set(ConsentPurpose.objects.values_list("code", flat=True)) == {
        "newsletter",
        "sales_follow_up",
    }
    assert EmailTemplate.objects.get(name="Monthly newsletter").purpose.code == (
        "newsletter"
    )
    statuses = set(ConsentState.objects.values_list("status", flat=True))
    assert statuses == {"given", "withdrawn", "pending"}
    assert ConsentState.objects.filter(unconfirmed_at__isnull=False).exists()
    assert ConsentState.objects.filter(contact__isnull=False).exists()
    events = ConsentEvent.objects.count()
    call_command("seed_demo", stdout=io.StringIO(), leads=100, seed=7)
    assert ConsentEvent.objects.count() == events


def test_the_import_api_maps_a_column_to_a_purpose(
    manager_client, settings, newsletter
):
    settings.TASKS = DATABASE_TASKS
    text = "subject,lastname,emailaddress1,Newsletter\nT,Lund,bo@example.org,yes\n"
    response = manager_client.post("/api/imports", {"file": csv_upload(text)})
    assert response.status_code == 201, response.json()
    run_queued_tasks()
    url = f"/api/imports/{response.json()['id']}/start"
    mapping = {"0": "subject", "1": "last_name", "2": "email"}
    refused = manager_client.post(
        url,
        json.dumps({"mapping": {**mapping, "3": "consent:unknown"}}),
        content_type="application/json",
    )
    assert refused.status_code == 400 and "mapping.3" in refused.json()["errors"]
    started = manager_client.post(
        url,
        json.dumps({"mapping": {**mapping, "3": "consent:newsletter"}}),
        content_type="application/json",
    )
    assert started.status_code == 202, started.json()
    run_queued_tasks()
    state = ConsentState.objects.get()
    assert (state.lead.email, state.status, state.method) == (
        "bo@example.org",
        ConsentStatus.GIVEN,
        ConsentMethod.IMPORT,
    )
