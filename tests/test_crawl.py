"""The crawl: every page of a small demo, as every role, answers without a server
error and never shows a record outside the viewer's scope.

A small demo is seeded (seed_demo: units, teams, users, rules, a capture form,
accounts, contacts, open and closed leads with their timeline and qualification
records), plus an import and a captured lead. Then, for each role, every link and
every GET form (submitted with the values it shows) is followed from the start
pages (tests/crawler.py). Record pages that answer 200 must be in the viewer's
scope, and records of another business unit, asked for directly, must be 404.
"""

import re
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from accounts.models import Account, Contact, Opportunity, User
from accounts.selectors import visible_to
from leads.models import CaptureForm, Lead, LeadState
from leads.services import imports as import_services
from leads.services.capture import capture_lead
from leads.services.timeline import add_attachment
from tests.crawler import crawl

ROLES = ["rep", "rep2", "manager", "admin", "privacy"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Pages anyone may open without signing in.
PUBLIC = ("/login/", "/healthz", "/capture/")
# URL names (without namespace) of pages about one record, by the model they show.
RECORD_PAGES = {
    "leads": Lead,
    "account": Account,
    "contact": Contact,
    "opportunity": Opportunity,
}
TIMELINE_TYPES = {
    "lead": Lead,
    "account": Account,
    "contact": Contact,
    "opportunity": Opportunity,
}
ADMIN_MODELS = {
    "leads_lead": Lead,
    "accounts_account": Account,
    "accounts_contact": Contact,
    "accounts_opportunity": Opportunity,
}


@pytest.fixture
def demo(db, settings, tmp_path):
    """seed_demo's small organisation with 60 leads, an import and a capture."""
    settings.LEADSITE_FALLBACK_OWNER = ""
    call_command("seed_demo", leads=60, org="small", stdout=StringIO())
    manager = User.objects.get(username="manager")
    csv = (
        b"Topic,First Name,Last Name,Email,Company Name,Lead Source\n"
        b"Fleet of 12 vans,Ada,Lovelace,ada@analytical.example,Analytical Engines,Web\n"
        b"Warehouse racks,Alan,Turing,alan@bletchley.example,Bletchley Park,Seminar\n"
    )
    batch = import_services.create_import_batch(
        upload=SimpleUploadedFile("trade-show.csv", csv, content_type="text/csv"),
        by=manager,
    )
    import_services.check_import_file(batch_id=batch.pk)
    import_services.start_import(batch=batch, by=manager)
    import_services.process_import(batch_id=batch.pk)
    lead = Lead.objects.filter(owner_user__username="rep", state=LeadState.OPEN)[0]
    add_attachment(
        record=lead,
        by=lead.owner_user,
        upload=SimpleUploadedFile("quote.pdf", PDF, content_type="application/pdf"),
    )
    capture_lead(
        form=CaptureForm.objects.get(name="Website contact form"),
        data={
            "last_name": "Hopper",
            "email": "grace@navy.example",
            "message": "Please send a quote for 40 seats.",
        },
    )


def _record(path):
    """(model, pk) when `path` is a page about one lead, account, contact or
    opportunity (site or admin), else None."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    kwargs = match.kwargs
    if match.namespace == "admin":
        for prefix, model in ADMIN_MODELS.items():
            if match.url_name.startswith(prefix + "_") and "object_id" in kwargs:
                return model, kwargs["object_id"]
        return None
    if "record_type" in kwargs and kwargs["record_type"] in TIMELINE_TYPES:
        return TIMELINE_TYPES[kwargs["record_type"]], kwargs["pk"]
    if "pk" not in kwargs:
        return None
    if match.namespace == "leads" and match.url_name in {
        "detail",
        "edit",
        "qualify",
        "qualified",
        "disqualify",
        "reactivate",
        "route-again",
    }:
        return Lead, kwargs["pk"]
    if match.namespace == "accounts":
        kind = match.url_name.split("-")[0]
        if kind in RECORD_PAGES:
            return RECORD_PAGES[kind], kwargs["pk"]
    return None


def _client(role):
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        client.force_login(User.objects.get(username=role))
    return client


def _start_pages(role):
    form = CaptureForm.objects.get(name="Website contact form")
    pages = ["/", "/login/", "/healthz", f"/capture/{form.token}/"]
    if role == "admin":
        pages.append("/admin/")
    return pages


def _crawl(role):
    return crawl(_client(role), _start_pages(role), per_shape=2, limit=900)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_every_role_answers_without_a_server_error(demo, role):
    result = _crawl(role)
    broken = [f"{v.status} {v.url} (from {v.referrer})" for v in result.errors()]
    assert not broken, f"{len(broken)} server errors as {role}:\n" + "\n".join(
        broken[:30]
    )
    assert len(result.ok()) > 100, "the crawl should reach every page of the role"

    user = User.objects.get(username=role)
    leaked = []
    for visit in result.ok():
        record = _record(visit.url.split("?")[0])
        if record is None:
            continue
        model, pk = record
        if not visible_to(user, model.objects).filter(pk=pk).exists():
            leaked.append(visit.url)
    assert not leaked, f"{role} saw records outside their scope: {leaked[:10]}"


def test_every_page_sends_an_anonymous_visitor_to_the_login(demo):
    """Every page a manager reaches, asked for without signing in: the public
    pages answer, every other page redirects to the login page."""
    pages = {v.url for v in _crawl("manager").visits}
    anonymous = _client("anonymous")
    wrong = []
    for url in sorted(pages):
        response = anonymous.get(url)
        if url.startswith(PUBLIC):
            expected = response.status_code == 200
        else:
            expected = response.status_code == 302 and response["Location"].startswith(
                "/login/"
            )
        if not expected:
            wrong.append(f"{response.status_code} {url}")
    assert len(pages) > 100
    assert not wrong, "\n".join(wrong[:30])


@pytest.mark.parametrize("role", ["rep", "rep2", "manager"])
def test_records_of_another_unit_are_not_found(demo, role):
    """Detail pages of records outside the viewer's scope, asked for directly."""
    client = _client(role)
    user = User.objects.get(username=role)
    asked = 0
    for model, url_of in [
        (Lead, "/leads/{}/"),
        (Account, "/accounts/{}/"),
        (Contact, "/contacts/{}/"),
        (Opportunity, "/opportunities/{}/"),
    ]:
        hidden = model.objects.exclude(pk__in=visible_to(user, model.objects))
        for pk in hidden.values_list("pk", flat=True)[:5]:
            asked += 1
            assert client.get(url_of.format(pk)).status_code == 404
    assert asked >= 10, "the demo should hold records this role may not see"


# Date and time shapes other than the one English format ("Dec 6, 2026, 5:17 AM"):
# 12/06/2026, 2026-12-06 05:17, "Dec. 6", "a.m.".
OTHER_DATE_SHAPES = re.compile(
    r"\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}|"
    r"\b[A-Z][a-z]{2,3}\. \d{1,2}, \d{4}|\b[ap]\.m\."
)


def _visible_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style|textarea|template)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_dates_read_one_way_on_every_page(demo):
    """Every page a manager and an administrator reach writes dates and times in
    the one format of the language (leadsite/formats), never in another shape."""
    found = []
    for role in ["manager", "admin"]:
        client = _client(role)
        for visit in _crawl(role).ok():
            if visit.url.startswith("/admin/") and not visit.url.startswith(
                ("/admin/leads/lead/", "/admin/accounts/")
            ):
                continue
            response = client.get(visit.url)
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            text = _visible_text(response.content.decode())
            found += [f"{visit.url}: {m}" for m in OTHER_DATE_SHAPES.findall(text)]
    assert not found, "\n".join(found[:20])
