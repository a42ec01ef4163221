"""Lead lifecycle services: create, edit, mark contacted, disqualify, reactivate,
assign and the bulk actions; a closed lead refused with one message on every path."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_fsm_log.models import StateLog

from leads.exceptions import LeadClosed, TransitionRefused, closed_message
from leads.models import (
    AssignmentReason,
    Lead,
    LeadAccount,
    LeadAssignment,
    LeadState,
    LeadStatus,
)
from leads.services import lifecycle, links, routing
from leads.services.merge import merge_leads
from tests import factories
from tests.support import shown_messages, snapshot


def logs_for(lead):
    return list(
        StateLog.objects.for_(lead).order_by("timestamp", "pk").select_related("by")
    )


# --- create / update ----------------------------------------------------------------


def test_create_lead_is_owned_by_its_creator_in_their_unit(rep):
    lead = lifecycle.create_lead(by=rep, subject="Wants 10 licences", last_name="Ng")
    assert lead.owner_user == rep
    assert lead.owner_team is None
    assert lead.business_unit == rep.business_unit
    assert lead.created_by == rep
    assert (lead.state, lead.status) == (LeadState.OPEN, LeadStatus.NEW)


def test_create_lead_for_a_team_takes_the_team_unit(rep, org):
    team = factories.TeamFactory(business_unit=org.south, members=[rep])
    lead = lifecycle.create_lead(
        by=rep, subject="Topic", last_name="Ng", owner_team=team
    )
    assert lead.owner_user is None
    assert lead.owner_team == team
    assert lead.business_unit == org.south


@pytest.mark.parametrize("missing", ["subject", "last_name"])
def test_create_lead_requires_topic_and_last_name(rep, missing):
    fields = {"subject": "Topic", "last_name": "Ng", missing: ""}
    with pytest.raises(ValidationError) as error:
        lifecycle.create_lead(by=rep, **fields)
    assert missing in error.value.message_dict
    assert not Lead.objects.exists()


def test_create_lead_rejects_a_bad_email(rep):
    with pytest.raises(ValidationError) as error:
        lifecycle.create_lead(by=rep, subject="T", last_name="Ng", email="not-an-email")
    assert "email" in error.value.message_dict


def test_update_lead_changes_fields_of_an_open_lead(rep):
    lead = factories.LeadFactory(owner_user=rep)
    updated = lifecycle.update_lead(lead=lead, by=rep, subject="New topic", city="Oslo")
    lead.refresh_from_db()
    assert (lead.subject, lead.city) == ("New topic", "Oslo")
    assert updated.subject == "New topic"


@pytest.mark.parametrize("trait", ["qualified", "disqualified"])
def test_update_lead_refuses_a_closed_lead(rep, trait):
    lead = factories.LeadFactory(owner_user=rep, **{trait: True})
    with pytest.raises(LeadClosed) as refusal:
        lifecycle.update_lead(lead=lead, by=rep, subject="Changed")
    assert refusal.value.messages == [closed_message(lead)]
    lead.refresh_from_db()
    assert lead.subject != "Changed"


def test_update_lead_refuses_when_the_lead_closed_after_the_page_loaded(rep):
    lead = factories.LeadFactory(owner_user=rep)
    stale = Lead.objects.get(pk=lead.pk)
    lifecycle.disqualify_lead(lead=lead, by=rep, reason=LeadStatus.LOST)
    with pytest.raises(TransitionRefused):
        lifecycle.update_lead(lead=stale, by=rep, subject="Changed")


def test_update_lead_cannot_change_ownership_or_state(rep, rep2):
    lead = factories.LeadFactory(owner_user=rep)
    with pytest.raises(ValueError):
        lifecycle.update_lead(lead=lead, by=rep, owner_user=rep2)


# --- mark contacted -----------------------------------------------------------------


def test_mark_contacted_moves_new_to_contacted_and_logs_who(rep):
    lead = factories.LeadFactory(owner_user=rep)
    result = lifecycle.mark_contacted(lead=lead, by=rep)
    lead.refresh_from_db()
    assert (lead.state, lead.status) == (LeadState.OPEN, LeadStatus.CONTACTED)
    assert result.status == LeadStatus.CONTACTED
    [log] = logs_for(lead)
    assert log.by == rep
    assert log.transition == "mark_contacted"
    assert (int(log.source_state), int(log.state)) == (1, 2)


def test_mark_contacted_twice_is_refused(rep):
    lead = factories.LeadFactory(owner_user=rep)
    lifecycle.mark_contacted(lead=lead, by=rep)
    with pytest.raises(TransitionRefused, match="already marked as contacted"):
        lifecycle.mark_contacted(lead=lead, by=rep)
    assert len(logs_for(lead)) == 1


@pytest.mark.parametrize("trait", ["qualified", "disqualified"])
def test_mark_contacted_refuses_closed_leads(rep, trait):
    lead = factories.LeadFactory(owner_user=rep, **{trait: True})
    with pytest.raises(TransitionRefused):
        lifecycle.mark_contacted(lead=lead, by=rep)


def test_mark_contacted_without_a_user_is_logged_as_automatic(rep):
    lead = factories.LeadFactory(owner_user=rep)
    lifecycle.mark_contacted(lead=lead, by=None)
    [log] = logs_for(lead)
    assert log.by is None


# --- disqualify ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason",
    [
        LeadStatus.LOST,
        LeadStatus.CANNOT_CONTACT,
        LeadStatus.NO_LONGER_INTERESTED,
        LeadStatus.CANCELED,
    ],
)
def test_disqualify_with_each_reason_closes_the_lead(rep, reason):
    lead = factories.LeadFactory(owner_user=rep, contacted=True)
    lifecycle.disqualify_lead(
        lead=lead, by=rep, reason=reason, description="Went quiet"
    )
    lead.refresh_from_db()
    assert (lead.state, lead.status) == (LeadState.DISQUALIFIED, reason)
    assert lead.closed_at is not None
    [log] = logs_for(lead)
    assert (log.by, log.description, int(log.state)) == (rep, "Went quiet", reason)


@pytest.mark.parametrize("reason", [1, 2, 3, 8, 0, -4])
def test_disqualify_refuses_a_reason_outside_the_list(rep, reason):
    lead = factories.LeadFactory(owner_user=rep)
    with pytest.raises(ValidationError) as error:
        lifecycle.disqualify_lead(lead=lead, by=rep, reason=reason)
    assert "reason" in error.value.message_dict
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    assert not logs_for(lead)


def test_disqualify_twice_says_already_disqualified(rep):
    lead = factories.LeadFactory(owner_user=rep)
    lifecycle.disqualify_lead(lead=lead, by=rep, reason=LeadStatus.LOST)
    with pytest.raises(TransitionRefused, match="already disqualified"):
        lifecycle.disqualify_lead(lead=lead, by=rep, reason=LeadStatus.CANCELED)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST


def test_disqualify_refuses_a_qualified_lead(rep):
    lead = factories.LeadFactory(owner_user=rep, qualified=True)
    with pytest.raises(TransitionRefused, match="already qualified"):
        lifecycle.disqualify_lead(lead=lead, by=rep, reason=LeadStatus.LOST)


def test_disqualify_is_refused_while_an_open_opportunity_came_from_the_lead(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, name="Big deal")
    lead = factories.LeadFactory(owner_user=rep, qualifying_opportunity=opportunity)
    with pytest.raises(TransitionRefused, match="Big deal"):
        lifecycle.disqualify_lead(lead=lead, by=rep, reason=LeadStatus.LOST)
    lead.refresh_from_db()
    assert lead.is_open


def test_disqualify_is_allowed_once_that_opportunity_is_closed(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, lost=True)
    lead = factories.LeadFactory(owner_user=rep, qualifying_opportunity=opportunity)
    lifecycle.disqualify_lead(lead=lead, by=rep, reason=LeadStatus.LOST)
    lead.refresh_from_db()
    assert lead.state == LeadState.DISQUALIFIED


# --- reactivate ---------------------------------------------------------------------


def test_reactivate_a_qualified_lead_keeps_its_records_and_notes(rep):
    account = factories.AccountFactory(owner_user=rep)
    contact = factories.ContactFactory(owner_user=rep, account=account)
    opportunity = factories.OpportunityFactory(owner_user=rep, account=account)
    lead = factories.LeadFactory(
        owner_user=rep,
        qualified=True,
        qualifying_account=account,
        qualifying_contact=contact,
        qualifying_opportunity=opportunity,
    )
    note = factories.NoteFactory(lead=lead)
    factories.LeadAccountFactory(lead=lead, account=account)
    lifecycle.reactivate_lead(lead=lead, by=rep)
    lead.refresh_from_db()
    assert (lead.state, lead.status) == (LeadState.OPEN, LeadStatus.NEW)
    assert (lead.qualified_at, lead.closed_at) == (None, None)
    assert lead.qualifying_account == account
    assert lead.qualifying_contact == contact
    assert lead.qualifying_opportunity == opportunity
    assert lead.accounts.get() == account
    note.refresh_from_db()
    assert note.lead == lead


def test_reactivate_a_disqualified_lead_logs_it(rep):
    lead = factories.LeadFactory(owner_user=rep)
    lifecycle.disqualify_lead(lead=lead, by=rep, reason=LeadStatus.CANNOT_CONTACT)
    lifecycle.reactivate_lead(lead=lead, by=rep)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    assert [log.transition for log in logs_for(lead)] == ["disqualify", "reactivate"]


def test_reactivate_an_open_lead_is_refused(rep):
    lead = factories.LeadFactory(owner_user=rep, contacted=True)
    with pytest.raises(TransitionRefused, match="already open"):
        lifecycle.reactivate_lead(lead=lead, by=rep)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONTACTED


def test_reactivate_a_merged_lead_is_refused(rep):
    master = factories.LeadFactory(owner_user=rep)
    lead = factories.LeadFactory(
        owner_user=rep,
        disqualified=True,
        status=LeadStatus.CANCELED,
        merged=True,
        master=master,
    )
    with pytest.raises(TransitionRefused, match="merged"):
        lifecycle.reactivate_lead(lead=lead, by=rep)


def test_a_stale_copy_cannot_reactivate_twice(rep):
    lead = factories.LeadFactory(owner_user=rep, disqualified=True)
    stale = Lead.objects.get(pk=lead.pk)
    lifecycle.reactivate_lead(lead=lead, by=rep)
    with pytest.raises(TransitionRefused, match="already open"):
        lifecycle.reactivate_lead(lead=stale, by=rep)
    assert len(logs_for(lead)) == 1


# --- assign -------------------------------------------------------------------------


def test_assign_to_a_user_logs_a_manual_assignment(manager, rep2, org):
    lead = factories.LeadFactory(owner_user=manager)
    lifecycle.assign_lead(lead=lead, by=manager, owner_user=rep2)
    lead.refresh_from_db()
    assert lead.owner_user == rep2
    assert lead.business_unit == org.south
    [entry] = LeadAssignment.objects.filter(lead=lead)
    assert (entry.assigned_user, entry.reason, entry.by) == (
        rep2,
        AssignmentReason.MANUAL,
        manager,
    )


def test_assign_to_a_team_clears_the_user_owner(manager, org):
    team = factories.TeamFactory(business_unit=org.north)
    lead = factories.LeadFactory(owner_user=manager)
    lifecycle.assign_lead(lead=lead, by=manager, owner_team=team)
    lead.refresh_from_db()
    assert (lead.owner_user, lead.owner_team) == (None, team)
    assert LeadAssignment.objects.get(lead=lead).assigned_team == team


def test_assign_needs_exactly_one_owner(manager, rep, org):
    team = factories.TeamFactory(business_unit=org.north)
    lead = factories.LeadFactory(owner_user=manager)
    for kwargs in ({}, {"owner_user": rep, "owner_team": team}):
        with pytest.raises(ValidationError):
            lifecycle.assign_lead(lead=lead, by=manager, **kwargs)
    assert not LeadAssignment.objects.exists()


def test_assign_a_closed_lead_is_refused(manager, rep):
    lead = factories.LeadFactory(owner_user=manager, qualified=True)
    with pytest.raises(TransitionRefused):
        lifecycle.assign_lead(lead=lead, by=manager, owner_user=rep)
    assert not LeadAssignment.objects.exists()


def test_assign_to_the_current_owner_is_refused(manager):
    lead = factories.LeadFactory(owner_user=manager)
    with pytest.raises(TransitionRefused, match="already owned"):
        lifecycle.assign_lead(lead=lead, by=manager, owner_user=manager)


# --- bulk ---------------------------------------------------------------------------


def test_bulk_assign_changes_open_leads_and_reports_refused_ones(manager, rep):
    open_leads = factories.LeadFactory.create_batch(3, owner_user=manager)
    closed = factories.LeadFactory(owner_user=manager, disqualified=True)
    result = lifecycle.bulk_assign_leads(
        leads=[*open_leads, closed], by=manager, owner_user=rep
    )
    assert sorted(lead.pk for lead in result.changed) == sorted(
        lead.pk for lead in open_leads
    )
    assert [lead.pk for lead, _ in result.refused] == [closed.pk]
    assert Lead.objects.filter(owner_user=rep).count() == 3
    closed.refresh_from_db()
    assert closed.owner_user == manager


def test_bulk_disqualify_disqualifies_each_open_lead(manager):
    leads = factories.LeadFactory.create_batch(2, owner_user=manager)
    qualified = factories.LeadFactory(owner_user=manager, qualified=True)
    result = lifecycle.bulk_disqualify_leads(
        leads=[*leads, qualified], by=manager, reason=LeadStatus.NO_LONGER_INTERESTED
    )
    assert len(result.changed) == 2
    assert result.refused[0][0].pk == qualified.pk
    assert "already qualified" in result.refused[0][1]
    assert Lead.objects.filter(status=LeadStatus.NO_LONGER_INTERESTED).count() == 2


def test_bulk_disqualify_refuses_a_bad_reason_before_touching_anything(manager):
    leads = factories.LeadFactory.create_batch(2, owner_user=manager)
    with pytest.raises(ValidationError):
        lifecycle.bulk_disqualify_leads(leads=leads, by=manager, reason=3)
    assert not Lead.objects.exclude(state=LeadState.OPEN).exists()


# --- automatic mark contacted -------------------------------------------------------


def test_completing_the_first_activity_marks_a_new_lead_contacted(rep):
    from leads.services.timeline import complete_activity

    lead = factories.LeadFactory(owner_user=rep)
    activity = factories.ActivityFactory(lead=lead, owner=rep)
    complete_activity(activity=activity, by=rep)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONTACTED
    [log] = logs_for(lead)
    assert (log.transition, log.by) == ("mark_contacted", rep)


# --- a closed lead is read-only: one guard, one message -----------------------------

CLOSED_WORDING = {
    "qualified": "This lead is already qualified. Reactivate it to change it.",
    "disqualified": "This lead is disqualified. Reactivate it to change it.",
    "merged": "This lead was merged into another lead and is read-only.",
}


@pytest.fixture(params=CLOSED_WORDING)
def closed_lead(request, administrator):
    """(lead, the sentence it is refused with) for each way a lead closes; the
    administrator owns it, so the site and the admin both show it."""
    if request.param == "merged":
        lead = factories.LeadFactory(owner_user=administrator)
        master = factories.LeadFactory(owner_user=administrator)
        merge_leads(master=master, subordinate=lead, by=administrator, field_values={})
    else:
        lead = factories.LeadFactory(owner_user=administrator, **{request.param: True})
    return Lead.objects.get(pk=lead.pk), CLOSED_WORDING[request.param]


WRITES = {
    "update": lambda lead, by: lifecycle.update_lead(
        lead=lead, by=by, subject="Changed"
    ),
    "assign": lambda lead, by: lifecycle.assign_lead(
        lead=lead, by=by, owner_user=factories.UserFactory()
    ),
    "link account": lambda lead, by: links.link_account(
        lead=lead, account=factories.AccountFactory(owner_user=by), by=by
    ),
    "link contact": lambda lead, by: links.link_contact(
        lead=lead, contact=factories.ContactFactory(owner_user=by), by=by
    ),
    "interest": lambda lead, by: links.add_interest(
        lead=lead, product=factories.ProductFactory(), by=by
    ),
    "reroute": lambda lead, by: routing.route_lead(lead=lead, by=by, trigger="again"),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_write_refuses_a_closed_lead_with_the_one_message(
    closed_lead, administrator, write
):
    lead, wording = closed_lead
    assert not lead.is_editable
    with pytest.raises(LeadClosed) as refusal:
        WRITES[write](lead, administrator)
    assert refusal.value.messages == [wording] == [closed_message(lead)]
    assert Lead.objects.get(pk=lead.pk).modified_at == lead.modified_at


def test_merge_refuses_a_closed_lead_naming_it_in_the_same_words(
    closed_lead, administrator
):
    lead, wording = closed_lead
    other = factories.LeadFactory(owner_user=administrator)
    with pytest.raises(LeadClosed) as refusal:
        merge_leads(master=other, subordinate=lead, by=administrator, field_values={})
    named = wording.replace("This lead", f"“{lead}”")
    assert refusal.value.messages == [named] == [closed_message(lead, named=True)]


def test_pages_and_admin_show_a_closed_lead_the_one_message(
    closed_lead, admin_client_, administrator
):
    lead, wording = closed_lead
    account = factories.AccountFactory(owner_user=administrator)
    client = admin_client_
    responses = {
        "edit page": client.get(reverse("leads:edit", args=[lead.pk])),
        "link panel": client.get(reverse("leads:link-account", args=[lead.pk])),
        "interest panel": client.get(reverse("leads:add-interest", args=[lead.pk])),
        "assign panel": client.get(reverse("leads:assign", args=[lead.pk])),
        "disqualify": client.get(
            reverse("leads:disqualify", args=[lead.pk]), follow=True
        ),
        "link": client.post(
            reverse("leads:link-account", args=[lead.pk]),
            {"account": account.pk},
            follow=True,
        ),
        "route again": client.post(
            reverse("leads:route-again", args=[lead.pk]), follow=True
        ),
        "admin link": client.post(
            reverse("admin:leads_leadaccount_add"),
            {
                "lead": lead.pk,
                "account": account.pk,
                "created_at_0": "2025-01-02",
                "created_at_1": "10:00:00",
            },
            follow=True,
        ),
    }
    for name, response in responses.items():
        assert wording in response.content.decode(), name
    other = factories.LeadFactory(owner_user=administrator)
    merge_page = client.get(reverse("leads:merge") + f"?ids={other.pk},{lead.pk}")
    assert closed_message(lead, named=True) in merge_page.content.decode()
    assert wording.removeprefix("This lead") in merge_page.content.decode()
    assert not LeadAccount.objects.exists()
    assert Lead.objects.get(pk=lead.pk).modified_at == lead.modified_at


def test_admin_keeps_the_links_of_a_closed_lead(closed_lead, admin_client_):
    lead, _wording = closed_lead
    link = factories.LeadAccountFactory(lead=lead)
    delete_url = reverse("admin:leads_leadaccount_delete", args=[link.pk])
    assert admin_client_.post(delete_url, {"post": "yes"}).status_code == 403
    admin_client_.post(
        reverse("admin:leads_leadaccount_changelist"),
        {"action": "delete_selected", "_selected_action": [link.pk], "post": "yes"},
    )
    assert LeadAccount.objects.filter(pk=link.pk).exists()


# --- bulk actions with tampered ids ------------------------------------------------------


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
    assert "One of the selected leads is not available to you." in shown_messages(
        response
    )
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
        assert any("valid choice" in m for m in shown_messages(response))
    assert snapshot() == before


def test_a_step_refused_on_a_qualified_lead_links_to_what_qualification_created(
    rep_client, rep
):
    lead = factories.LeadFactory(owner_user=rep, qualified=True)
    response = rep_client.post(
        reverse("leads:mark-contacted", args=[lead.pk]), follow=True
    )
    page = response.content.decode()
    assert "See what qualification created." in page
    assert f'href="{reverse("leads:qualified", args=[lead.pk])}"' in page
