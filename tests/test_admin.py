import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import reverse
from django_fsm_log.models import StateLog

from accounts.models import OpportunityState, OpportunityStatus
from leads.models import DISQUALIFY_REASONS, LeadState, LeadStatus
from tests import factories
from tests.reading import page
from tests.support import change_form_data, snapshot

OUR_APPS = {"accounts", "leads"}
REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in OUR_APPS
)


def test_every_model_of_both_apps_is_registered():
    from django.apps import apps

    for app_label in OUR_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if hasattr(model, "instance_type"):
                continue  # a change-history table: shown on its record's admin page
            assert model in admin.site._registry, model


def test_admin_index_renders_for_administrator(admin_client_):
    response = admin_client_.get(reverse("admin:index"))
    assert response.status_code == 200
    assert b"Leads" in response.content


@pytest.mark.parametrize("app_label,model_name", REGISTERED)
def test_changelist_renders_with_rows(
    admin_client_, administrator, app_label, model_name
):
    lead = factories.LeadFactory(owner_user=administrator)
    factories.ActivityFactory(lead=lead, owner=administrator)
    factories.NoteFactory(lead=lead)
    factories.AttachmentFactory(lead=lead)
    factories.LeadProductFactory(lead=lead)
    factories.LeadAccountFactory(lead=lead)
    factories.LeadContactFactory(lead=lead)
    factories.OpportunityProductFactory()
    factories.LeadAssignmentFactory(lead=lead)
    factories.RoutingRuleFactory()
    factories.CampaignFactory()
    factories.CaptureFormFactory()
    factories.TeamFactory(members=[administrator])
    response = admin_client_.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("app_label,model_name", REGISTERED)
def test_add_page_renders_or_is_refused_for_logs(admin_client_, app_label, model_name):
    response = admin_client_.get(reverse(f"admin:{app_label}_{model_name}_add"))
    if model_name in {
        "leadassignment",
        "formsubmission",
        "sourcereportday",
        "sourcereporthistogram",
        "sourcereportdirty",
        "sourcereportstate",
        "sourcereportstage",
        "importbatch",
        "importrow",
        "capturesubmission",
        "possibleduplicate",
        "exportjob",
        "exportlog",
        "apilistread",
        "opportunityproduct",
        "idempotencykey",
        # Saved list views: saved, renamed and deleted on the lists' pages.
        "savedview",
        "defaultview",
        # Scoring: scores, tables and rebuilds by its services; the one settings
        # row is edited, never added.
        "leadscore",
        "scorecount",
        "scorerebuild",
        "scoringconfig",
        # Email from the record: messages are queued from the record's page.
        "emailmessage",
        # Inbound mail: the receipts of the mailboxes and the inbound webhook.
        "inboundmessage",
        # Duplicate scans: started on the duplicate rules page, run by the worker.
        "duplicatescan",
        "duplicategroup",
        # Mass updates: started from the lead list.
        "massupdate",
        "massupdaterow",
        # The stage bar: visits and ticks are written by its services.
        "stagevisit",
        "stepcheck",
        # Consent: the log and the current states are written by its services.
        "consentevent",
        "consentstate",
    }:
        # Logs: assignments by routing, form tokens, exports, imports and captures by
        # services; the source report's summary rows by its triggers and refresh;
        # product lines on their opportunity's page; Idempotency-Keys by the API.
        assert response.status_code == 403
    else:
        assert response.status_code == 200


def test_superuser_without_group_can_use_admin(client, org):
    superuser = factories.UserFactory(
        username="root", is_staff=True, is_superuser=True, business_unit=org.root
    )
    client.force_login(superuser)
    assert client.get(reverse("admin:leads_lead_changelist")).status_code == 200


def test_sales_rep_is_kept_out_of_admin(rep_client):
    response = rep_client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_user_admin_edits_business_unit_and_capacity(admin_client_, rep, org):
    response = admin_client_.get(reverse("admin:accounts_user_change", args=[rep.pk]))
    assert response.status_code == 200
    assert b'name="business_unit"' in response.content
    assert b'name="lead_capacity"' in response.content


def _lead_changelist_queries(client, django_assert_max_num_queries, administrator, n):
    team = factories.TeamFactory(business_unit=administrator.business_unit)
    for i in range(n):
        if i % 2:
            factories.LeadFactory(owner_user=None, owner_team=team)
        else:
            factories.LeadFactory(owner_user=administrator)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:leads_lead_changelist"))
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("n", [5, 50])
def test_lead_changelist_query_count_does_not_grow_with_rows(
    admin_client_, administrator, django_assert_max_num_queries, n
):
    response = _lead_changelist_queries(
        admin_client_, django_assert_max_num_queries, administrator, n
    )
    # Team-owned rows show the team as owner, without a query per row.
    assert response.context["cl"].result_count == n


def test_lead_changelist_does_not_count_the_whole_table(admin_client_, administrator):
    factories.LeadFactory(owner_user=administrator)
    response = admin_client_.get(reverse("admin:leads_lead_changelist") + "?q=zzz")
    assert response.context["cl"].full_result_count is None


def test_lead_change_page_shows_transition_buttons(admin_client_, administrator):
    lead = factories.LeadFactory(owner_user=administrator)
    response = admin_client_.get(reverse("admin:leads_lead_change", args=[lead.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ["mark_contacted", "qualify", "disqualify"]:
        assert f'value="{name}"' in html
    assert 'value="mark_merged"' not in html
    assert 'value="reactivate"' not in html


def test_closed_lead_offers_reactivate_only(admin_client_, administrator):
    lead = factories.LeadFactory(owner_user=administrator, disqualified=True)
    html = admin_client_.get(
        reverse("admin:leads_lead_change", args=[lead.pk])
    ).content.decode()
    assert 'value="reactivate"' in html
    assert 'value="qualify"' not in html


def test_disqualify_form_offers_the_four_reasons(admin_client_, administrator):
    lead = factories.LeadFactory(owner_user=administrator)
    url = reverse("admin:leads_lead_transition", args=[lead.pk, "disqualify"])
    response = admin_client_.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for reason in DISQUALIFY_REASONS:
        assert f'value="{int(reason)}"' in html


def _post_transition_button(client, lead, transition):
    """Submit the change form with a transition button, like a browser would."""
    change_url = reverse("admin:leads_lead_change", args=[lead.pk])
    _response, data = change_form_data(client, change_url)
    data["_fsm_transition_to"] = transition
    return client.post(change_url, data, follow=True)


def test_mark_contacted_button_runs_the_service(admin_client_, administrator):
    pytest.importorskip("leads.services.lifecycle")
    lead = factories.LeadFactory(owner_user=administrator)
    response = _post_transition_button(admin_client_, lead, "mark_contacted")
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONTACTED
    assert StateLog.objects.filter(object_id=str(lead.pk), by=administrator).exists()


def test_disqualify_through_admin_form_records_reason(admin_client_, administrator):
    pytest.importorskip("leads.services.lifecycle")
    lead = factories.LeadFactory(owner_user=administrator)
    url = reverse("admin:leads_lead_transition", args=[lead.pk, "disqualify"])
    response = admin_client_.post(
        url, {"reason": int(LeadStatus.CANNOT_CONTACT), "description": "No answer"}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.state, lead.status) == (
        LeadState.DISQUALIFIED,
        LeadStatus.CANNOT_CONTACT,
    )


def test_refused_transition_is_a_message_not_a_500(
    admin_client_, administrator, direct_writes
):
    pytest.importorskip("leads.services.lifecycle")
    lead = factories.LeadFactory(owner_user=administrator)
    # A stale page: the lead was disqualified meanwhile, then "Mark contacted" posted.
    lead_copy = type(lead).objects.get(pk=lead.pk)
    url = reverse("admin:leads_lead_transition", args=[lead.pk, "mark_contacted"])
    lead_copy.disqualify(reason=LeadStatus.LOST)
    lead_copy.save()
    response = admin_client_.post(url, {}, follow=True)
    assert response.status_code in (200, 400)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST


def test_opportunity_win_through_admin_form(admin_client_, administrator):
    services = pytest.importorskip("accounts.services")
    if not hasattr(services, "win_opportunity"):
        pytest.skip("win_opportunity not written yet")
    opportunity = factories.OpportunityFactory(owner_user=administrator)
    url = reverse("admin:accounts_opportunity_transition", args=[opportunity.pk, "win"])
    response = admin_client_.post(
        url, {"actual_value": "1234.50", "actual_close_date": "2026-01-15"}
    )
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.state == OpportunityState.WON
    assert opportunity.actual_value == Decimal("1234.50")
    assert opportunity.actual_close_date == datetime.date(2026, 1, 15)


def test_opportunity_lose_through_admin_form(admin_client_, administrator):
    services = pytest.importorskip("accounts.services")
    if not hasattr(services, "lose_opportunity"):
        pytest.skip("lose_opportunity not written yet")
    opportunity = factories.OpportunityFactory(owner_user=administrator)
    url = reverse(
        "admin:accounts_opportunity_transition", args=[opportunity.pk, "lose"]
    )
    response = admin_client_.post(url, {"reason": int(OpportunityStatus.OUT_SOLD)})
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.state, opportunity.status) == (
        OpportunityState.LOST,
        OpportunityStatus.OUT_SOLD,
    )


def test_opportunity_change_page_shows_close_buttons(admin_client_, administrator):
    opportunity = factories.OpportunityFactory(owner_user=administrator)
    html = admin_client_.get(
        reverse("admin:accounts_opportunity_change", args=[opportunity.pk])
    ).content.decode()
    assert 'value="win"' in html
    assert 'value="lose"' in html


def test_transition_messages_reach_the_user(admin_client_, administrator):
    pytest.importorskip("leads.services.lifecycle")
    lead = factories.LeadFactory(owner_user=administrator)
    response = _post_transition_button(admin_client_, lead, "mark_contacted")
    texts = [str(m) for m in get_messages(response.wsgi_request)] or [
        str(m) for m in response.context["messages"]
    ]
    assert any("Mark contacted" in t for t in texts)


def test_completing_an_activity_in_admin_marks_the_lead_contacted(
    admin_client_, administrator
):
    services = pytest.importorskip("leads.services.timeline")
    if not hasattr(services, "complete_activity"):
        pytest.skip("complete_activity not written yet")
    lead = factories.LeadFactory(owner_user=administrator)
    activity = factories.ActivityFactory(lead=lead, owner=administrator)
    change_url = reverse("admin:leads_activity_change", args=[activity.pk])
    form = admin_client_.get(change_url).context["adminform"].form
    data = {
        name: (value.pk if hasattr(value, "pk") else value)
        for name in form.fields
        if (value := form.initial.get(name)) is not None
    }
    data["_fsm_transition_to"] = "complete"
    response = admin_client_.post(change_url, data, follow=True)
    assert response.status_code == 200
    activity.refresh_from_db()
    lead.refresh_from_db()
    assert activity.state == "completed"
    assert lead.status == LeadStatus.CONTACTED


def test_qualify_through_admin_form_creates_the_records(admin_client_, administrator):
    pytest.importorskip("leads.services.qualification")
    lead = factories.LeadFactory(owner_user=administrator)
    url = reverse("admin:leads_lead_transition", args=[lead.pk, "qualify"])
    assert admin_client_.get(url).status_code == 200
    response = admin_client_.post(
        url,
        {"create_account": "on", "create_contact": "on", "create_opportunity": "on"},
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert lead.qualifying_account_id and lead.qualifying_opportunity_id


def test_changelist_row_checkbox_is_djangos_own(rep):
    """The big tables' admin draws the row checkbox from one template instead of
    the widget's three: the same checkbox as Django's, its label as text."""
    from django.contrib.admin.options import ModelAdmin

    from leads.models import Lead

    lead = factories.LeadFactory(
        owner_user=rep, first_name='Jo "<b>', last_name="O'Hara & Co"
    )
    model_admin = admin.site._registry[Lead]
    [ours] = page(model_admin.action_checkbox(lead)).find_all("input")
    [djangos] = page(ModelAdmin.action_checkbox(model_admin, lead)).find_all("input")
    assert ours.attrs == djangos.attrs
    assert ours.attrs["aria-label"] == f"Select this object for an action - {lead}"


# --- the admin for a staff user who is a sales rep ---------------------------------------


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
