"""Erasure ("forget this person"): one person is put into every place personal data
can reach, through the real services (capture, import, inbound and outgoing email,
notes, attachments, edits, transitions, qualification, webhooks, notifications,
mass update, duplicate scan, an idempotent API call, an export, a saved view, a
legal hold, an access export), erased through the privacy page, and then the WHOLE
database (every column of every table, read through the database's own
introspection) and the media folder (names and contents, inside ZIP-based files
too) hold their name, email address and phone number nowhere. The source report
keeps its numbers; the log keeps no value; the records stay, with what the
business must keep."""

import importlib.util
import json
import os
import re
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from accounts.models import Contact
from accounts.permissions import PRIVACY_OFFICER
from accounts.services.saved_views import save_view
from leads.models import (
    Attachment,
    CaptureSubmission,
    DuplicateGroup,
    ExportJob,
    ExportStatus,
    Lead,
    LeadStatus,
    MailAlias,
    Note,
    PossibleDuplicate,
)
from leads.reports import source_performance_report
from leads.services import duplicates as duplicate_services
from leads.services import imports as import_services
from leads.services.capture import capture_lead
from leads.services.emails import deliver_email, queue_email
from leads.services.exports import build_export, start_export
from leads.services.inbound import receive_message
from leads.services.lifecycle import disqualify_lead, mark_contacted, update_lead
from leads.services.mass_update import create_mass_update, process_mass_update
from leads.services.qualification import qualify_lead
from leads.services.scoring import pin_score
from leads.services.timeline import add_attachment, add_note, log_activity
from leadsite.core.versioning import EditConflict
from privacy.models import Erasure, ErasureStatus
from privacy.selectors.people import find_by_email
from privacy.services.access import export_person
from privacy.services.erasure import erase_person
from privacy.services.holds import release_legal_hold, set_legal_hold
from tests import factories
from tests.imap_helpers import build_mail
from tests.support import snapshot, user_in
from webhooks import tasks as webhook_tasks
from webhooks.services.subscriptions import create_subscription

FIRST, LAST = "Quirinus", "Zanzibarová"
EMAIL = "q.zanzibarova@vltava.example"
PHONE = "+420 777 123 456"
# What must be found nowhere afterwards, in any form it may be stored in.
SEARCHED = [
    "quirinus",
    "zanzibarov",  # also the JSON-escaped "Zanzibarov\u00e1"
    EMAIL,
    "q.zanzibarova%40vltava.example",
    "777123456",
    "777 123 456",
]
PDF = b"%PDF-1.4\n% Quirinus Zanzibarova passport copy\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ALIAS = "sales@inbound.example.com"


# --- searching everything ------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, memoryview | bytes | bytearray):
        return bytes(value).decode("utf-8", errors="ignore")
    if isinstance(value, dict | list):
        return json.dumps(value) + json.dumps(value, ensure_ascii=False)
    return str(value)


def database_hits() -> list[str]:
    """(table.column: value) for every value in every column of every table (as the
    database lists them) that holds one of SEARCHED, case-insensitive."""
    hits = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - a table name
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = _text(value).lower()
                    for needle in SEARCHED:
                        if needle.lower() in text:
                            hits.append(f"{table}.{column}: {text[:160]!r}")
    return hits


def _file_texts(path: Path):
    data = path.read_bytes()
    yield data.decode("utf-8", errors="ignore")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                yield name
                yield archive.read(name).decode("utf-8", errors="ignore")


def media_hits() -> list[str]:
    """Files under MEDIA_ROOT whose name or contents hold one of SEARCHED."""
    hits = []
    root = Path(settings.MEDIA_ROOT)
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            texts = [str(path.relative_to(root)), *_file_texts(path)]
            for text in texts:
                if any(needle.lower() in text.lower() for needle in SEARCHED):
                    hits.append(str(path.relative_to(root)))
                    break
    return hits


# --- a webhook receiver --------------------------------------------------------------


class Receiver:
    """A local HTTP receiver: the first POST is refused with a body that echoes the
    person (kept in the attempt's log), the next ones are taken."""

    def __init__(self):
        self.bodies = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.bodies.append(body)
                first = len(outer.bodies) == 1
                answer = f"duplicate of {EMAIL}".encode() if first else b"ok"
                self.send_response(422 if first else 200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.LEADSITE_WEBHOOKS_ALLOW_PRIVATE = True
    settings.LEADSITE_WEBHOOKS_RETRY_BASE_SECONDS = 0
    settings.LEADSITE_WEBHOOKS_TIMEOUT = 5
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def privacy_officer(org):
    return user_in(PRIVACY_OFFICER, username="privacy", business_unit=org.root)


@pytest.fixture
def privacy_client(privacy_officer):
    client = Client()
    client.force_login(privacy_officer)
    return client


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.LEADSITE_REPLY_ADDRESS = "replies@crm.example.com"
    settings.LEADSITE_INBOUND_RATE_PER_SENDER = "20/h"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# --- the person, everywhere ------------------------------------------------------------


def _import(manager):
    csv = (
        "Topic,First Name,Last Name,Email,Business Phone,Company Name,Lead Source\n"
        f"Fleet of 12 vans,{FIRST},{LAST},{EMAIL},{PHONE},Vltava Trading,Web\n"
        "Warehouse racks,Ada,Lovelace,ada@analytical.example,+44 20 7946 0000,"
        "Analytical Engines,Seminar\n"
    ).encode()
    batch = import_services.create_import_batch(
        upload=SimpleUploadedFile(
            "zanzibarova-and-friends.csv", csv, content_type="text/csv"
        ),
        by=manager,
    )
    import_services.check_import_file(batch_id=batch.pk)
    import_services.start_import(batch=batch, by=manager)
    import_services.process_import(batch_id=batch.pk)
    return Lead.objects.get(email=EMAIL)


def _import_update(manager):
    """A second file with the person: it updates their lead (the row keeps the
    values it replaced and wrote, for undo)."""
    csv = (
        "Topic,First Name,Last Name,Email,Mobile Phone,Job Title\n"
        f"Fleet of 12 vans,{FIRST},{LAST},{EMAIL},{PHONE},Owner of {LAST} s.r.o.\n"
    ).encode("cp1252")
    batch = import_services.create_import_batch(
        upload=SimpleUploadedFile("update.csv", csv, content_type="text/csv"),
        by=manager,
    )
    import_services.check_import_file(batch_id=batch.pk)
    batch.refresh_from_db()
    import_services.set_import_options(
        batch=batch, by=manager, mapping=batch.mapping, duplicate_mode="update"
    )
    import_services.start_import(batch=batch, by=manager)
    import_services.process_import(batch_id=batch.pk)


def _record_consent(lead, by) -> bool:
    """A consent noted by phone (the consent module, when it is there): its note
    names the person. Returns whether one was recorded."""
    if importlib.util.find_spec("leads.services.consent") is None:
        return False
    # Imported here: the consent module is built beside this one.
    from leads.models import ConsentPurpose
    from leads.services.consent import record_consent_by_user

    purpose = ConsentPurpose.objects.create(name="Newsletter", code="newsletter")
    record_consent_by_user(
        person=lead,
        purpose=purpose,
        status="given",
        method="phone",
        by=by,
        note=f"{FIRST} {LAST} agreed on {PHONE}",
    )
    return True


def seed_person(*, org, rep, manager, administrator, privacy_officer, receiver):
    """The person in every place; returns their leads (imported, captured, by API)."""
    org.north.default_owner = rep
    org.north.save(update_fields=["default_owner"])
    create_subscription(
        by=administrator,
        url=receiver.url,
        events=["lead.created", "lead.updated", "lead.disqualified"],
    )
    imported = _import(manager)
    _import_update(manager)
    form = factories.CaptureFormFactory(business_unit=org.north)
    captured = capture_lead(
        form=form,
        data={
            "first_name": FIRST,
            "last_name": LAST,
            "email": EMAIL,
            "business_phone": PHONE,
            "company_name": "Vltava Trading",
            "message": f"I am {FIRST} {LAST}, call me on {PHONE}.",
        },
    ).lead
    captured = update_lead(
        lead=captured,
        by=captured.owner_user,
        job_title="Fleet manager",
        address_line1="Na Příkopě 12",
        city="Praha",
        description=f"{FIRST} prefers mornings; mobile {PHONE}.",
    )
    owner = captured.owner_user
    add_note(
        record=captured,
        by=owner,
        text=f"{FIRST} {LAST} asked for a callback at {PHONE}.",
        title=f"Call {FIRST}",
    )
    log_activity(
        record=captured,
        by=owner,
        kind="phone_call",
        subject=f"Call {FIRST} {LAST}",
        description=f"Reached on {PHONE}",
        direction="outgoing",
        completed=True,
    )
    add_attachment(
        record=captured,
        by=owner,
        upload=SimpleUploadedFile(
            "zanzibarova-passport.pdf", PDF, content_type="application/pdf"
        ),
    )
    email = queue_email(
        record=captured,
        by=owner,
        subject=f"Your quote, {FIRST}",
        body=f"Dear {FIRST} {LAST}, ...",
    )
    deliver_email(email_id=email.pk)
    MailAlias.objects.create(address=ALIAS, business_unit=org.north)
    receive_message(
        raw=build_mail(
            sender=f"{FIRST} {LAST} <{EMAIL}>",
            subject=f"Question from {FIRST}",
            body=f"Please call {PHONE}. {FIRST} {LAST}",
        ),
        transport="imap",
        alias=MailAlias.objects.get(address=ALIAS),
    )
    _record_consent(captured, owner)
    pin_score(lead=captured, by=manager, score=90, reason=f"{FIRST} is keen")
    job = create_mass_update(
        by=manager,
        changes={"rating": 1},
        selection=[(captured.pk, Lead.objects.get(pk=captured.pk).version)],
        query=f"q={EMAIL}",
    )
    process_mass_update(mass_update_id=job.pk, by=manager)
    duplicate_services.run_duplicate_scan(
        scan_id=duplicate_services.start_duplicate_scan(by=administrator).pk
    )
    save_view(
        by=manager,
        list_kind="leads",
        name="That person",
        query=f"q={EMAIL.replace('@', '%40')}",
    )
    api = Client()
    api.force_login(rep)
    response = api.post(
        "/api/leads",
        json.dumps(
            {
                "subject": "API lead",
                "first_name": FIRST,
                "last_name": LAST,
                "email": EMAIL,
                "business_phone": PHONE,
                "company_name": "Vltava Trading",
                "source": 8,
                "assign_to_me": True,
            }
        ),
        content_type="application/json",
        headers={"idempotency_key": "k-zanzibarova"},
    )
    assert response.status_code == 201, response.content
    by_api = Lead.objects.get(pk=response.json()["id"])
    qualify_lead(lead=by_api, by=rep)
    mark_contacted(lead=imported, by=manager, description=f"Spoke to {FIRST} {LAST}")
    disqualify_lead(
        lead=imported,
        by=manager,
        reason=LeadStatus.LOST,
        description=f"{FIRST} bought elsewhere ({PHONE})",
    )
    export = start_export(by=administrator, query="view=all")
    build_export(job_id=export.pk)
    hold = set_legal_hold(
        record=captured, reason=f"Claim by {FIRST} {LAST}", by=privacy_officer
    )
    release_legal_hold(hold=hold, by=privacy_officer)
    export_person(
        subject=find_by_email(EMAIL), by=privacy_officer, query=EMAIL
    ).file.close()
    webhook_tasks.run_pass()
    return [imported, captured, by_api]


def _assert_seeded(leads):
    """The seeding reached the places it is meant to."""
    hits = database_hits()
    for place in [
        "leads_lead.",
        "leads_historicallead.",
        "accounts_contact.",
        "leads_note.",
        "leads_activity.",
        "leads_emailmessage.",
        "leads_inboundmessage.",
        "leads_importrow.",
        "leads_massupdaterow.",
        "webhooks_event.",
        "webhooks_attempt.",
        "notifications_notification.",
        "accounts_idempotencykey.",
        "django_fsm_log_statelog.",
        "accounts_savedview.",
        "privacy_accessrequest.",
        "privacy_legalhold.",
        "accounts_account.",
        "leads_leadscore.",
    ]:
        assert any(hit.startswith(place) for hit in hits), place
    held = media_hits()
    for folder in ("attachments/", "imports/", "exports/"):
        assert any(path.startswith(folder) for path in held), folder
    if importlib.util.find_spec("leads.services.consent") is not None:
        assert any(hit.startswith("leads_consentevent.") for hit in hits)
    assert DuplicateGroup.objects.exists()
    assert PossibleDuplicate.objects.exists()
    assert CaptureSubmission.objects.filter(lead__in=leads).exists()
    assert ExportJob.objects.filter(status=ExportStatus.DONE).exists()


@pytest.mark.django_db(transaction=True)
def test_an_erased_person_is_found_nowhere_in_the_database_or_the_media(
    org, rep, manager, administrator, privacy_officer, privacy_client, receiver
):
    leads = seed_person(
        org=org,
        rep=rep,
        manager=manager,
        administrator=administrator,
        privacy_officer=privacy_officer,
        receiver=receiver,
    )
    _assert_seeded(leads)
    found = find_by_email(EMAIL)
    assert {lead.pk for lead in found.leads} == {lead.pk for lead in leads}
    assert len(found.contacts) == 1
    kept = {
        lead.pk: (lead.source, lead.status, lead.created_at, lead.owner_user_id)
        for lead in Lead.objects.filter(pk__in=found.lead_ids)
    }
    page = privacy_client.get("/privacy/", {"email": EMAIL})
    assert page.status_code == 200 and LAST in page.content.decode()
    response = privacy_client.post(
        "/privacy/erase/",
        {
            "lead": found.lead_ids,
            "contact": found.contact_ids,
            "reference": "Ticket 4711",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    hits = database_hits()
    assert not hits, "\n".join(hits[:40])
    assert not media_hits(), media_hits()

    erasure = Erasure.objects.get()
    assert response["Location"] == erasure.get_absolute_url()
    assert (erasure.erased_by, erasure.reference) == (privacy_officer, "Ticket 4711")
    assert erasure.lead_ids == found.lead_ids
    assert erasure.contact_ids == found.contact_ids
    assert erasure.status == ErasureStatus.DONE
    assert {e["kind"] for e in erasure.files} == {"attachment", "import", "export"}
    assert all(e["gone"] for e in erasure.files)
    for entry in erasure.files:
        assert not (Path(settings.MEDIA_ROOT) / entry["path"]).exists()
    for place in [
        "leads.Lead",
        "leads.HistoricalLead",
        "accounts.Contact",
        "leads.Note",
        "webhooks.Event",
        "leads.ImportRow",
        "accounts.IdempotencyKey",
    ]:
        assert erasure.counts.get(place), place
    # What the business keeps: the records, their source, status, dates and owner.
    after = {
        lead.pk: (lead.source, lead.status, lead.created_at, lead.owner_user_id)
        for lead in Lead.objects.filter(pk__in=found.lead_ids)
    }
    assert after == kept
    assert not Attachment.objects.exists()
    assert Note.objects.filter(text="[erased]").count() == 1
    detail = privacy_client.get(erasure.get_absolute_url()).content.decode()
    assert "Ticket 4711" in detail


def test_the_source_report_keeps_its_numbers_after_an_erasure(
    rep, manager, privacy_officer, source_report_data
):
    def figures():
        report = source_performance_report(user=manager)
        return [
            (
                row.source,
                row.created,
                row.open,
                row.qualified,
                row.disqualified,
                row.won_revenue,
                row.pipeline,
                row.median_days_to_qualify,
                row.median_hours_to_first_work,
            )
            for row in report.rows
        ]

    before = figures()
    leads = source_report_data.leads
    for pk in (1, 3, 7):
        Lead.objects.filter(pk=leads[pk].pk).update(
            first_name=FIRST, last_name=LAST, email=EMAIL, business_phone=PHONE
        )
    subject = find_by_email(EMAIL)
    assert len(subject.leads) == 3
    erase_person(subject=subject, by=privacy_officer)
    assert figures() == before
    assert not Lead.objects.filter(email=EMAIL).exists()


def test_the_log_names_records_and_counts_and_no_value(
    rep, privacy_officer, django_capture_on_commit_callbacks
):
    lead = factories.LeadFactory(
        owner_user=rep,
        first_name=FIRST,
        last_name=LAST,
        email=EMAIL,
        business_phone=PHONE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        erasure = erase_person(
            subject=find_by_email(EMAIL), by=privacy_officer, reference="case 9"
        )
    erasure.refresh_from_db()
    stored = json.dumps(
        [erasure.counts, erasure.files, erasure.lead_ids, erasure.reference]
    )
    assert not any(n.lower() in stored.lower() for n in SEARCHED)
    assert erasure.lead_ids == [lead.pk] and erasure.counts["leads.Lead"] == 1
    lead.refresh_from_db()
    assert (lead.first_name, lead.last_name, lead.email, lead.business_phone) == (
        "",
        "[erased]",
        "",
        "",
    )
    assert erasure.status == ErasureStatus.DONE


def test_an_open_edit_form_cannot_write_the_values_back(rep, privacy_officer):
    """The erasure moves the version on: a save from a page loaded before it is
    refused, not written over the erasure."""
    lead = factories.LeadFactory(
        owner_user=rep, first_name=FIRST, last_name=LAST, email=EMAIL
    )
    version = lead.version
    erase_person(subject=find_by_email(EMAIL), by=privacy_officer)
    with pytest.raises(EditConflict):
        update_lead(lead=lead, by=rep, expected_version=version, first_name=FIRST)
    assert Lead.objects.get(pk=lead.pk).first_name == ""


def test_a_rep_cannot_reach_the_privacy_pages(rep_client, rep, manager_client):
    lead = factories.LeadFactory(owner_user=rep, email=EMAIL)
    before = snapshot()
    for client in (rep_client, manager_client):
        for url in [
            "/privacy/",
            f"/privacy/leads/{lead.pk}/",
            f"/privacy/erase/?lead={lead.pk}",
            f"/privacy/export/?lead={lead.pk}",
            "/privacy/erasures/",
            "/privacy/exports/",
        ]:
            assert client.get(url).status_code == 404, url
        assert client.post("/privacy/erase/", {"lead": [lead.pk]}).status_code == 404
        assert client.post("/privacy/export/", {"lead": [lead.pk]}).status_code == 404
    assert snapshot() == before
    assert "/privacy/" not in rep_client.get(f"/leads/{lead.pk}/").content.decode()


def test_the_confirmation_page_says_what_goes_and_what_stays(privacy_client, rep):
    lead = factories.LeadFactory(
        owner_user=rep,
        first_name=FIRST,
        last_name=LAST,
        email=EMAIL,
        company_name=f"{LAST} Consulting",
    )
    page = privacy_client.get("/privacy/erase/", {"lead": lead.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "What goes" in html and "What stays" in html
    # The company's name holds the person's: the sole-trader box comes ticked.
    assert re.search(r'<input[^>]*name="company_is_person"[^>]*checked', html)
    assert 'id="confirm-erase"' in html


def test_the_erase_post_needs_a_csrf_token(privacy_officer, rep):
    lead = factories.LeadFactory(owner_user=rep, email=EMAIL)
    client = Client(enforce_csrf_checks=True)
    client.force_login(privacy_officer)
    assert client.post("/privacy/erase/", {"lead": [lead.pk]}).status_code == 403
    assert Lead.objects.get(pk=lead.pk).email == EMAIL


def test_a_sole_traders_company_goes_too(rep, privacy_officer):
    lead = factories.LeadFactory(
        owner_user=rep,
        first_name=FIRST,
        last_name=LAST,
        email=EMAIL,
        company_name=f"{LAST} Consulting",
        website="https://zanzibarova.example",
    )
    erase_person(
        subject=find_by_email(EMAIL), by=privacy_officer, company_is_person=True
    )
    lead.refresh_from_db()
    assert (lead.company_name, lead.website) == ("", "")
    kept = factories.LeadFactory(
        owner_user=rep, last_name="Other", email="x@y.example", company_name="Globex"
    )
    erase_person(subject=find_by_email("x@y.example"), by=privacy_officer)
    kept.refresh_from_db()
    assert kept.company_name == "Globex"


def test_a_privacy_officer_sees_the_privacy_box_and_a_rep_only_the_hold(
    rep, privacy_officer, administrator
):
    """The lead page: the box links the privacy page for an administrator; an
    active hold shows to everyone who sees the lead, its reason to the roles."""
    lead = factories.LeadFactory(owner_user=rep, email=EMAIL)
    as_rep, as_admin = Client(), Client()
    as_rep.force_login(rep)
    as_admin.force_login(administrator)
    url = f"/leads/{lead.pk}/"
    assert 'id="privacy-box"' not in as_rep.get(url).content.decode()
    assert f"/privacy/leads/{lead.pk}/" in as_admin.get(url).content.decode()
    set_legal_hold(record=lead, reason="Tax audit 2026", by=privacy_officer)
    page = as_rep.get(url).content.decode()
    assert "Legal hold" in page and "Tax audit 2026" not in page
    assert "Tax audit 2026" in as_admin.get(url).content.decode()


def test_another_person_and_a_lone_first_name_elsewhere_stay(rep, privacy_officer):
    other = factories.LeadFactory(
        owner_user=rep,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@analytical.example",
    )
    add_note(
        record=other,
        by=rep,
        text="Ada called about Quirinus' order? No, another customer.",
    )
    factories.LeadFactory(owner_user=rep, first_name=FIRST, last_name=LAST, email=EMAIL)
    erase_person(subject=find_by_email(EMAIL), by=privacy_officer)
    other.refresh_from_db()
    assert (other.first_name, other.last_name, other.email) == (
        "Ada",
        "Lovelace",
        "ada@analytical.example",
    )
    # A lone first name in another person's note says nothing strong: it stays.
    assert "Quirinus" in Note.objects.get(lead=other).text


def test_inbound_and_contact_records_found_by_email(rep, privacy_officer):
    contact = factories.ContactFactory(
        owner_user=rep, first_name=FIRST, last_name=LAST, email=EMAIL.upper()
    )
    found = find_by_email(EMAIL)
    assert [c.pk for c in found.contacts] == [contact.pk]
    erase_person(subject=found, by=privacy_officer)
    contact = Contact.objects.get(pk=contact.pk)
    assert (contact.first_name, contact.last_name, contact.email) == (
        "",
        "[erased]",
        "",
    )
    assert contact.history.filter(email__iexact=EMAIL).count() == 0
