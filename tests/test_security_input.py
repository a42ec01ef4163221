"""Security audit, part two: tampered ids, junk input, open redirects, attachments,
the admin for a staff rep and the login lockout."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Account, Contact, Opportunity, OpportunityProduct
from leads.forms.lifecycle import BulkActionForm, LeadForm
from leads.forms.links import InterestForm
from leads.forms.merge import MergeLeadsForm
from leads.forms.qualification import QualifyLeadForm
from leads.forms.timeline import ActivityForm, NoteForm
from leads.models import Attachment, Lead, LeadAccount, LeadContact
from tests import factories
from tests.test_security_audit import ROUTES, URL_NAMES, _build, snapshot

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- 4. ids of out-of-scope records inside POST bodies ---------------------------------


def test_bulk_action_with_an_out_of_scope_id_changes_nothing(rep_client, rep, rep2):
    own, other = (
        factories.LeadFactory(owner_user=rep),
        factories.LeadFactory(owner_user=rep2),
    )
    before = snapshot()
    response = rep_client.post(
        reverse("leads:bulk"),
        {"action": "disqualify", "ids": [own.pk, other.pk], "reason": 4},
        follow=True,
    )
    assert response.status_code == 200
    assert "One of the selected leads is not available to you." in _messages(response)
    assert snapshot() == before


def test_bulk_assign_to_a_user_or_team_outside_the_allowed_set_is_refused(
    rep_client, rep, rep2, org
):
    own = factories.LeadFactory(owner_user=rep)
    south_team = factories.TeamFactory(business_unit=org.south)
    before = snapshot()
    for target in ({"owner_user": rep2.pk}, {"owner_team": south_team.pk}):
        response = rep_client.post(
            reverse("leads:bulk"),
            {"action": "assign", "ids": [own.pk], **target},
            follow=True,
        )
        assert response.status_code == 200
        assert any("valid choice" in m for m in _messages(response))
    assert snapshot() == before


@pytest.mark.parametrize("kind", ["account", "contact"])
def test_linking_an_out_of_scope_account_or_contact_is_refused(
    rep_client, rep, rep2, kind
):
    lead = factories.LeadFactory(owner_user=rep)
    factory = (
        factories.AccountFactory if kind == "account" else factories.ContactFactory
    )
    other = factory(owner_user=rep2)
    before = snapshot()
    response = rep_client.post(
        reverse(f"leads:link-{kind}", args=[lead.pk]), {kind: other.pk}, follow=True
    )
    assert response.status_code == 200
    assert any("not linked" in m for m in _messages(response))
    assert snapshot() == before


@pytest.mark.parametrize("kind", ["account", "contact"])
def test_unlinking_with_an_out_of_scope_record_id_is_404(rep_client, rep, rep2, kind):
    lead = factories.LeadFactory(owner_user=rep)
    factory = (
        factories.AccountFactory if kind == "account" else factories.ContactFactory
    )
    other = factory(owner_user=rep2)
    link = (LeadAccount if kind == "account" else LeadContact).objects.create(
        lead=lead, **{kind: other}
    )
    before = snapshot()
    response = rep_client.post(
        reverse(f"leads:unlink-{kind}", args=[lead.pk, other.pk])
    )
    assert response.status_code == 404
    assert snapshot() == before
    assert type(link).objects.filter(pk=link.pk).exists()


def test_removing_another_leads_interest_is_404(rep_client, rep, rep2):
    lead = factories.LeadFactory(owner_user=rep)
    foreign = factories.LeadProductFactory(lead=factories.LeadFactory(owner_user=rep2))
    before = snapshot()
    response = rep_client.post(
        reverse("leads:remove-interest", args=[lead.pk, foreign.pk])
    )
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("field", ["existing_account", "existing_contact"])
def test_qualify_with_an_out_of_scope_existing_record_is_a_form_error(
    rep_client, rep, rep2, field
):
    lead = factories.LeadFactory(owner_user=rep)
    other = (
        factories.AccountFactory(owner_user=rep2)
        if field == "existing_account"
        else factories.ContactFactory(owner_user=rep2)
    )
    before = snapshot()
    response = rep_client.post(
        reverse("leads:qualify", args=[lead.pk]),
        {field: other.pk, "create_opportunity": "on", "status_reason": 3},
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert snapshot() == before


def test_merge_with_an_out_of_scope_lead_is_404(rep_client, rep, rep2):
    own = factories.LeadFactory(owner_user=rep)
    other = factories.LeadFactory(owner_user=rep2, last_name="Other")
    before = snapshot()
    url = reverse("leads:merge") + f"?ids={own.pk},{other.pk}"
    assert rep_client.get(url).status_code == 404
    assert rep_client.post(url, {"master": "a"}).status_code == 404
    assert snapshot() == before


def test_inactive_product_is_refused_as_interest_and_opportunity_line(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    opportunity = factories.OpportunityFactory(owner_user=rep)
    retired = factories.ProductFactory(is_active=False)
    before = snapshot()
    response = rep_client.post(
        reverse("leads:add-interest", args=[lead.pk]),
        {"product": retired.pk, "quantity": "1"},
        follow=True,
    )
    assert any("not saved" in m for m in _messages(response))
    response = rep_client.post(
        reverse("accounts:opportunity-add-product", args=[opportunity.pk]),
        {"product": retired.pk, "quantity": "1", "price_per_unit": "10"},
    )
    assert response.status_code == 400
    assert "product" in response.context["product_form"].errors
    assert snapshot() == before


def test_record_forms_refuse_out_of_scope_related_ids(rep_client, rep, rep2):
    other_account = factories.AccountFactory(owner_user=rep2, is_partner=True)
    other_contact = factories.ContactFactory(owner_user=rep2)
    cases = [
        (
            reverse("leads:create"),
            {"subject": "S", "last_name": "L", "source": 8},
            {"channel_partner": other_account.pk},
        ),
        (
            reverse("accounts:account-create"),
            {"name": "A"},
            {"parent_account": other_account.pk},
        ),
        (
            reverse("accounts:account-create"),
            {"name": "A"},
            {"primary_contact": other_contact.pk},
        ),
        (
            reverse("accounts:contact-create"),
            {"last_name": "C"},
            {"account": other_account.pk},
        ),
        (
            reverse("accounts:opportunity-create"),
            {"name": "O", "estimated_value": "1"},
            {"account": other_account.pk},
        ),
        (
            reverse("accounts:opportunity-create"),
            {"name": "O", "estimated_value": "1"},
            {"contact": other_contact.pk},
        ),
    ]
    before = snapshot()
    for url, base, tampered in cases:
        response = rep_client.post(url, {**base, **tampered})
        assert response.status_code == 200, url
        (name,) = tampered
        assert name in response.context["form"].errors, (url, name)
        # Nothing the user typed is lost: the other values come back in the form.
        for key, value in base.items():
            assert str(response.context["form"][key].value()) == str(value)
    assert snapshot() == before


# --- 4. junk in query strings and POST bodies: never a 500 ----------------------------

JUNK = [
    "abc",
    "-1",
    "0",
    "99999999999999999999",
    "",
    "1e9",
    "1,abc",
    "<script>",
    "\x00",
    "\u00b2",
]
QUERY_KEYS = [
    "owner", "team", "business_unit", "campaign", "state", "status", "source",
    "rating", "view", "q", "sort", "page", "ids", "format", "created_after",
    "created_before", "close_after", "close_before", "created_from", "created_to",
    "partner", "account", "contact", "parent_account", "industry", "is_partner",
]  # fmt: skip
SORT_JUNK = ["password", "-password", "owner_user__password", "?", "--created"]


LIST_PAGES = {
    "leads:list",
    "leads:merge",
    "leads:source-report",
    "accounts:account-list",
    "accounts:contact-list",
    "accounts:opportunity-list",
}
GET_CASES = [
    pytest.param(name, variant, id=f"{name}-{variant or ''}")
    for name in URL_NAMES
    if ROUTES[name].get
    for variant in ROUTES[name].variants
]


@pytest.mark.parametrize(("name", "variant"), GET_CASES)
def test_junk_query_strings_never_cause_a_500(rep_client, rep, name, variant):
    """List pages get each junk value in each key; other pages all keys at once."""
    kwargs, _ = _build(ROUTES[name], variant, rep, rep)
    url = reverse(name, kwargs=kwargs)
    for value in [*JUNK, *SORT_JUNK]:
        if name in LIST_PAGES:
            queries = [{key: value} for key in QUERY_KEYS]
        else:
            queries = [{key: value for key in QUERY_KEYS}]
        for query in queries:
            response = rep_client.get(url, query)
            assert response.status_code in (200, 302, 404), (url, query)


def test_lead_list_shows_an_error_for_a_tampered_filter(rep_client, rep):
    factories.LeadFactory(owner_user=rep)
    response = rep_client.get(reverse("leads:list"), {"owner": "abc"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors
    assert response.context["leads"] == []
    for page in ("-1", "99999", "abc", "99999999999999999999"):
        assert rep_client.get(reverse("leads:list"), {"page": page}).status_code == 200
    response = rep_client.get(reverse("leads:list"), {"sort": "password"})
    assert response.status_code == 200


def test_merge_ids_junk_is_a_404_or_a_page(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    for ids in (
        "1,abc",
        "abc",
        "-1",
        f"{lead.pk},abc",
        "99999999999999999999",
        f"{lead.pk},99999999999999999999",
        f"{lead.pk},\u00b2",
        ",",
    ):
        response = rep_client.get(reverse("leads:merge"), {"ids": ids})
        assert response.status_code in (200, 404), ids
    for q in JUNK:
        response = rep_client.get(reverse("leads:merge"), {"ids": lead.pk, "q": q})
        assert response.status_code == 200, q


FORMS = [
    LeadForm, QualifyLeadForm, BulkActionForm, NoteForm, ActivityForm, InterestForm,
    MergeLeadsForm,
]  # fmt: skip
JUNK_FIELD_NAMES = sorted(
    {name for form in FORMS for name in form.base_fields}
    | {f.name for m in (Account, Contact, Opportunity, OpportunityProduct) for f in m._meta.fields}
    | {"ids", "next", "master", "reason", "actual_value", "actual_close_date", "file"}
)  # fmt: skip


@pytest.mark.parametrize("junk", JUNK)
def test_junk_post_bodies_never_cause_a_500(rep_client, rep, junk):
    for name in URL_NAMES:
        route = ROUTES[name]
        if not route.post:
            continue
        for variant in route.variants:
            kwargs, _ = _build(route, variant, rep, rep)
            data = {field: junk for field in JUNK_FIELD_NAMES}
            response = rep_client.post(reverse(name, kwargs=kwargs), data)
            assert response.status_code in (200, 302, 400, 404), (name, junk)


# --- 5. open redirects -----------------------------------------------------------------

EVIL = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "https:evil.example",
    "\\\\evil.example",
    "http://testserver@evil.example/",
]


@pytest.mark.parametrize("target", EVIL)
def test_login_refuses_external_next(client, rep, target):
    response = client.post(
        reverse("login") + "?next=" + target,
        {"username": "rep", "password": "leadsite"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.parametrize("target", EVIL)
@pytest.mark.parametrize("action", ["complete-activity", "cancel-activity"])
def test_activity_buttons_refuse_external_next(rep_client, rep, action, target):
    activity = factories.ActivityFactory(
        lead=factories.LeadFactory(owner_user=rep), owner=rep
    )
    response = rep_client.post(
        reverse(f"leads:{action}", args=[activity.pk]), {"next": target}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert response["Location"].startswith("/")


@pytest.mark.parametrize("target", EVIL)
def test_bulk_action_refuses_external_next(rep_client, rep, target):
    lead = factories.LeadFactory(owner_user=rep)
    for data in (
        {"action": "assign", "ids": [lead.pk], "owner_user": rep.pk, "next": target},
        {"action": "nonsense", "next": target},
    ):
        response = rep_client.post(reverse("leads:bulk"), data)
        assert response.status_code == 302
        assert "evil.example" not in response["Location"]


def test_logout_refuses_external_next(rep_client):
    response = rep_client.post(reverse("logout") + "?next=https://evil.example")
    assert "evil.example" not in response.get("Location", "")


# --- 6. attachments --------------------------------------------------------------------


def _upload(client, lead, name, content, content_type="application/octet-stream"):
    return client.post(
        reverse("leads:add-attachment", args=["lead", lead.pk]),
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        follow=True,
    )


def test_attachment_download_is_an_attachment_with_nosniff(rep_client, rep):
    attachment = factories.AttachmentFactory(lead=factories.LeadFactory(owner_user=rep))
    response = rep_client.get(
        reverse("leads:download-attachment", args=[attachment.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_attachment_on_a_qualified_lead_follows_its_opportunitys_scope(
    rep_client, rep, rep2
):
    """The opportunity's timeline shows its lead's items, so whoever sees the
    opportunity may download them; a lead and opportunity both outside scope: 404."""
    mine = factories.OpportunityFactory(owner_user=rep)
    lead = factories.LeadFactory(owner_user=rep2, qualified=True)
    Lead.objects.filter(pk=lead.pk).update(qualifying_opportunity=mine)
    shared = factories.AttachmentFactory(lead=lead)
    url = reverse("leads:download-attachment", args=[shared.pk])
    assert rep_client.get(url).status_code == 200
    Lead.objects.filter(pk=lead.pk).update(
        qualifying_opportunity=factories.OpportunityFactory(owner_user=rep2)
    )
    assert rep_client.get(url).status_code == 404


def test_html_renamed_txt_is_only_ever_served_as_a_plain_text_attachment(
    rep_client, rep
):
    lead = factories.LeadFactory(owner_user=rep)
    html = b"<html><body><script>alert(document.cookie)</script></body></html>\n"
    _upload(rep_client, lead, "invoice.txt", html, "text/html")
    attachment = Attachment.objects.filter(lead=lead).first()
    if attachment is None:
        return  # refused outright: also fine
    response = rep_client.get(
        reverse("leads:download-attachment", args=[attachment.pk])
    )
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
        ),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("page.htm", b"<html></html>"),
        ("logo.svg.txt", b"\xff\xfe<svg/>"),
    ],
)
def test_svg_and_html_uploads_are_refused(rep_client, rep, name, content):
    lead = factories.LeadFactory(owner_user=rep)
    response = _upload(rep_client, lead, name, content, "image/svg+xml")
    assert any("not uploaded" in m for m in _messages(response))
    assert not Attachment.objects.filter(lead=lead).exists()


def test_path_traversal_in_the_upload_name_is_neutralised(rep_client, rep, settings):
    lead = factories.LeadFactory(owner_user=rep)
    _upload(rep_client, lead, "../../etc/passwd.pdf", PDF, "application/pdf")
    attachment = Attachment.objects.get(lead=lead)
    assert attachment.original_name == "passwd.pdf"
    assert ".." not in attachment.file.name
    path = attachment.file.path
    assert path.startswith(str(settings.MEDIA_ROOT))
    response = rep_client.get(
        reverse("leads:download-attachment", args=[attachment.pk])
    )
    assert 'filename="passwd.pdf"' in response["Content-Disposition"]


# --- 7. the admin for a staff user who is a sales rep ---------------------------------


@pytest.fixture
def staff_rep_client(client, rep):
    rep.is_staff = True
    rep.save(update_fields=["is_staff"])
    client.force_login(rep)
    return client


@pytest.mark.parametrize(
    ("model", "make"),
    [
        ("leads/lead", lambda owner: factories.LeadFactory(owner_user=owner)),
        ("accounts/account", lambda owner: factories.AccountFactory(owner_user=owner)),
        ("accounts/contact", lambda owner: factories.ContactFactory(owner_user=owner)),
        (
            "accounts/opportunity",
            lambda owner: factories.OpportunityFactory(owner_user=owner),
        ),
        (
            "leads/note",
            lambda owner: factories.NoteFactory(
                lead=factories.LeadFactory(owner_user=owner)
            ),
        ),
        (
            "leads/activity",
            lambda owner: factories.ActivityFactory(
                lead=factories.LeadFactory(owner_user=owner), owner=owner
            ),
        ),
        (
            "leads/attachment",
            lambda owner: factories.AttachmentFactory(
                lead=factories.LeadFactory(owner_user=owner)
            ),
        ),
        (
            "leads/leadproduct",
            lambda owner: factories.LeadProductFactory(
                lead=factories.LeadFactory(owner_user=owner)
            ),
        ),
    ],
)
def test_admin_scope_for_a_staff_rep(staff_rep_client, rep, rep2, model, make):
    mine, other = make(rep), make(rep2)
    changelist = staff_rep_client.get(f"/admin/{model}/")
    assert changelist.status_code == 200
    shown = {obj.pk for obj in changelist.context["cl"].result_list}
    assert mine.pk in shown
    assert other.pk not in shown
    before = snapshot()
    for suffix in ("change/", "history/", "delete/"):
        response = staff_rep_client.get(f"/admin/{model}/{other.pk}/{suffix}")
        assert response.status_code in (302, 403, 404), suffix
        if response.status_code == 302:
            assert f"/{other.pk}/" not in response["Location"]
    response = staff_rep_client.post(f"/admin/{model}/{other.pk}/change/", {})
    assert response.status_code in (302, 403, 404)
    assert snapshot() == before


# --- 8. login lockout (django-axes) ---------------------------------------------------


def test_axes_locks_out_after_the_failure_limit(settings, rep):
    from axes.utils import reset

    settings.AXES_ENABLED = True
    client = Client(REMOTE_ADDR="203.0.113.9")
    try:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            response = client.post(
                reverse("login"), {"username": "rep", "password": "wrong"}
            )
        response = client.post(
            reverse("login"), {"username": "rep", "password": "leadsite"}
        )
        assert response.status_code in (403, 429)
        assert "_auth_user_id" not in client.session
    finally:
        reset()
    response = client.post(
        reverse("login"), {"username": "rep", "password": "leadsite"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(rep.pk)
