"""The stage bar: Qualify on the lead, Develop → Propose → Close on the opportunity.
Required steps gate every path (the bar, the edit form, the API, qualification),
the time in each stage is recorded, and the bar shows where a record stands."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import (
    Opportunity,
    SalesStage,
    StageProcess,
    StageStep,
    StageVisit,
)
from accounts.services import stages as stage_services
from leads.exceptions import TransitionRefused
from leads.models import BudgetStatus, LeadState
from leads.services import qualification
from leads.services.lifecycle import update_lead
from tests import factories


def _step(process, stage, name, *, required=True):
    return StageStep.objects.get(process=process, stage=stage, name=name)


def _require(process, stage, name):
    return stage_services.update_stage_step(
        step=_step(process, stage, name), by=None, required=True
    )


def _opportunity(rep, **fields):
    account = factories.AccountFactory(owner_user=rep)
    return account_services.create_opportunity(
        name="Fleet renewal", account=account, owner_user=rep, **fields
    )


# --- The lead's Qualify stage -------------------------------------------------------


def test_default_steps_are_not_required_so_nothing_changes(rep):
    lead = factories.LeadFactory(owner_user=rep, budget_status=None)
    assert StageStep.objects.filter(required=True).count() == 0
    result = qualification.qualify_lead(lead=lead, by=rep, create_account=True)
    assert result.lead.state == LeadState.QUALIFIED


def test_a_required_qualify_step_blocks_qualification_until_filled(rep):
    _require(StageProcess.LEAD, SalesStage.QUALIFY, "Budget status")
    lead = factories.LeadFactory(owner_user=rep, budget_status=None)
    with pytest.raises(TransitionRefused) as refused:
        qualification.qualify_lead(lead=lead, by=rep, create_account=True)
    assert "Complete the Qualify stage first: Budget status" in str(refused.value)
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN

    update_lead(lead=lead, by=rep, budget_status=BudgetStatus.CAN_BUY)
    result = qualification.qualify_lead(lead=lead, by=rep, create_account=True)
    assert result.lead.state == LeadState.QUALIFIED
    # The lead was the Qualify stage: its opportunity goes on at Develop.
    assert result.opportunity.sales_stage == SalesStage.DEVELOP
    assert result.opportunity.close_probability == 30


def test_qualify_page_refuses_with_the_missing_step(rep_client, rep):
    _require(StageProcess.LEAD, SalesStage.QUALIFY, "Need")
    lead = factories.LeadFactory(owner_user=rep, need=None)
    response = rep_client.post(
        reverse("leads:qualify", args=[lead.pk]),
        {"create_account": "on", "create_contact": "on", "create_opportunity": "on"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Complete the Qualify stage first: Need" in response.content.decode()
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def test_the_api_refuses_qualification_with_the_missing_step(rep_client, rep):
    _require(StageProcess.LEAD, SalesStage.QUALIFY, "Need")
    lead = factories.LeadFactory(owner_user=rep, need=None)
    etag = rep_client.get(f"/api/leads/{lead.pk}")["ETag"]
    response = rep_client.post(
        f"/api/leads/{lead.pk}/qualify",
        {"create_account": True},
        content_type="application/json",
        headers={"If-Match": etag},
    )
    assert response.status_code == 409
    assert "Complete the Qualify stage first: Need" in response.json()["detail"]


def test_lead_page_shows_the_qualify_steps(rep_client, rep):
    _require(StageProcess.LEAD, SalesStage.QUALIFY, "Budget amount")
    lead = factories.LeadFactory(
        owner_user=rep, budget_amount=None, purchase_timeframe=None
    )
    page = rep_client.get(lead.get_absolute_url()).content.decode()
    assert 'class="stage-bar"' in page
    assert "Qualify steps" in page
    assert "Budget amount" in page and "Required" in page
    assert "on the opportunity" in page


# --- The opportunity's stages -------------------------------------------------------


def test_a_required_field_step_gates_the_next_stage_on_every_path(rep, rep_client):
    _require(StageProcess.OPPORTUNITY, SalesStage.DEVELOP, "Estimated revenue")
    opportunity = _opportunity(
        rep, sales_stage=SalesStage.DEVELOP, estimated_value=None
    )
    # The service (the board and the bar use it).
    with pytest.raises(ValidationError) as refused:
        stage_services.move_opportunity_stage(
            opportunity=opportunity, stage=SalesStage.PROPOSE, by=rep
        )
    assert "Complete the Develop stage first: Estimated revenue" in str(refused.value)
    # The edit form's stage field.
    with pytest.raises(ValidationError):
        account_services.update_opportunity(
            opportunity=opportunity, by=rep, sales_stage=SalesStage.PROPOSE
        )
    # The API.
    etag = rep_client.get(f"/api/opportunities/{opportunity.pk}")["ETag"]
    response = rep_client.patch(
        f"/api/opportunities/{opportunity.pk}",
        {"sales_stage": SalesStage.PROPOSE},
        content_type="application/json",
        headers={"If-Match": etag},
    )
    assert response.status_code in (400, 409, 422)
    assert "Estimated revenue" in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.sales_stage == SalesStage.DEVELOP

    # Filling the step in the same edit moves it on.
    account_services.update_opportunity(
        opportunity=opportunity,
        by=rep,
        estimated_value=Decimal("12000"),
        sales_stage=SalesStage.PROPOSE,
    )
    opportunity.refresh_from_db()
    assert opportunity.sales_stage == SalesStage.PROPOSE


def test_a_checklist_step_is_ticked_on_the_bar_then_the_stage_moves(rep, rep_client):
    step = _require(StageProcess.OPPORTUNITY, SalesStage.PROPOSE, "Proposal sent")
    opportunity = _opportunity(rep, sales_stage=SalesStage.PROPOSE)
    url = reverse("leads:opportunity-stage", args=[opportunity.pk])
    response = rep_client.post(
        url, {"stage": SalesStage.CLOSE, "version": opportunity.version}, follow=True
    )
    assert (
        "Complete the Propose stage first: Proposal sent" in response.content.decode()
    )
    opportunity.refresh_from_db()
    assert opportunity.sales_stage == SalesStage.PROPOSE

    rep_client.post(
        reverse("leads:opportunity-step", args=[opportunity.pk, step.pk]),
        {"checked": "1"},
    )
    response = rep_client.post(
        url, {"stage": SalesStage.CLOSE, "version": opportunity.version}, follow=True
    )
    assert "Stage: Close." in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.sales_stage == SalesStage.CLOSE


def test_a_jump_needs_every_stage_passed_on_the_way(rep):
    _require(StageProcess.OPPORTUNITY, SalesStage.PROPOSE, "Proposal sent")
    opportunity = _opportunity(rep, sales_stage=SalesStage.DEVELOP)
    with pytest.raises(ValidationError) as refused:
        stage_services.move_opportunity_stage(
            opportunity=opportunity, stage=SalesStage.CLOSE, by=rep
        )
    assert "Propose stage" in str(refused.value)
    opportunity.refresh_from_db()
    assert opportunity.sales_stage == SalesStage.DEVELOP


def test_going_back_is_always_allowed_and_a_closed_deal_does_not_move(rep):
    _require(StageProcess.OPPORTUNITY, SalesStage.DEVELOP, "Estimated revenue")
    opportunity = _opportunity(
        rep, sales_stage=SalesStage.PROPOSE, estimated_value=Decimal("900")
    )
    stage_services.move_opportunity_stage(
        opportunity=opportunity, stage=SalesStage.DEVELOP, by=rep
    )
    opportunity.refresh_from_db()
    assert opportunity.sales_stage == SalesStage.DEVELOP
    account_services.lose_opportunity(opportunity=opportunity, by=rep, reason=5)
    with pytest.raises(ValidationError) as refused:
        stage_services.move_opportunity_stage(
            opportunity=opportunity, stage=SalesStage.QUALIFY, by=rep
        )
    assert "closed" in str(refused.value)


def test_a_stale_bar_is_told_not_applied(rep, rep_client):
    opportunity = _opportunity(rep, sales_stage=SalesStage.DEVELOP)
    seen = opportunity.version
    account_services.update_opportunity(
        opportunity=opportunity, by=rep, description="Changed by a colleague"
    )
    response = rep_client.post(
        reverse("leads:opportunity-stage", args=[opportunity.pk]),
        {"stage": SalesStage.PROPOSE, "version": seen},
        follow=True,
    )
    assert "changed while you were editing" in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.sales_stage == SalesStage.DEVELOP


def test_starting_at_a_later_stage_needs_the_earlier_required_steps(rep):
    _require(
        StageProcess.OPPORTUNITY, SalesStage.DEVELOP, "Needs analysed with the customer"
    )
    with pytest.raises(ValidationError):
        _opportunity(rep, sales_stage=SalesStage.PROPOSE)
    assert not Opportunity.objects.filter(name="Fleet renewal").exists()


def test_time_in_each_stage_is_recorded(rep, rep_client):
    opportunity = _opportunity(rep, sales_stage=SalesStage.DEVELOP)
    three_days_ago = timezone.now() - datetime.timedelta(days=3)
    StageVisit.objects.filter(opportunity=opportunity).update(entered_at=three_days_ago)
    stage_services.move_opportunity_stage(
        opportunity=opportunity, stage=SalesStage.PROPOSE, by=rep
    )
    visits = list(
        StageVisit.objects.filter(opportunity=opportunity).values_list(
            "stage", "left_at"
        )
    )
    assert [stage for stage, _ in visits] == [SalesStage.DEVELOP, SalesStage.PROPOSE]
    assert visits[0][1] is not None and visits[1][1] is None
    page = rep_client.get(opportunity.get_absolute_url()).content.decode()
    assert "3 d" in page
    # The status history names the stage move as one, not as status codes.
    assert "Stage Develop &rarr; Stage Propose" in page or (
        "Stage Develop → Stage Propose" in page
    )
    assert "On Hold" not in page
    account_services.win_opportunity(
        opportunity=opportunity,
        by=rep,
        actual_value=Decimal("100"),
        actual_close_date=timezone.localdate(),
    )
    assert not StageVisit.objects.filter(
        opportunity=opportunity, left_at__isnull=True
    ).exists()
    account_services.reopen_opportunity(opportunity=opportunity, by=rep)
    assert (
        StageVisit.objects.filter(opportunity=opportunity, left_at__isnull=True).count()
        == 1
    )


def test_the_bar_is_404_outside_the_record_scope(rep2, client, rep):
    opportunity = _opportunity(rep, sales_stage=SalesStage.DEVELOP)
    client.force_login(rep2)
    response = client.post(
        reverse("leads:opportunity-stage", args=[opportunity.pk]),
        {"stage": SalesStage.PROPOSE, "version": opportunity.version},
    )
    assert response.status_code == 404
    opportunity.refresh_from_db()
    assert opportunity.sales_stage == SalesStage.DEVELOP


def test_a_step_names_a_real_field(db):
    step = StageStep(
        process=StageProcess.LEAD, stage=SalesStage.QUALIFY, name="X", field="nope"
    )
    with pytest.raises(ValidationError):
        step.full_clean()


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_record_pages_queries_stay_flat_with_many_steps(rep, rep_client):
    opportunity = _opportunity(rep, sales_stage=SalesStage.DEVELOP)
    lead = factories.LeadFactory(owner_user=rep)
    for record in (opportunity, lead):  # warm the per-process caches first
        rep_client.get(record.get_absolute_url())
    before = [
        _count_queries(rep_client, record.get_absolute_url())[0]
        for record in (opportunity, lead)
    ]
    for i in range(12):
        stage_services.create_stage_step(
            by=rep,
            process=StageProcess.OPPORTUNITY,
            stage=SalesStage.DEVELOP,
            name=f"Checklist {i}",
            required=i % 2 == 0,
        )
        stage_services.create_stage_step(
            by=rep,
            process=StageProcess.LEAD,
            stage=SalesStage.QUALIFY,
            name=f"Field {i}",
            field="website",
            required=True,
        )
    after = []
    for record in (opportunity, lead):
        count, page = _count_queries(rep_client, record.get_absolute_url())
        assert "Checklist 11" in page or "Field 11" in page
        after.append(count)
    assert after == before


def test_the_source_report_shows_days_per_stage(rep, manager_client):
    from leads.models import Lead, LeadSource
    from leads.reports.stages import days_per_stage

    lead = factories.LeadFactory(owner_user=rep, source=LeadSource.WEB)
    Lead.objects.filter(pk=lead.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=10)
    )
    result = qualification.qualify_lead(lead=lead, by=rep, create_account=True)
    opportunity = result.opportunity
    StageVisit.objects.filter(opportunity=opportunity).update(
        entered_at=timezone.now() - datetime.timedelta(days=3)
    )
    stage_services.move_opportunity_stage(
        opportunity=opportunity, stage=SalesStage.PROPOSE, by=rep
    )
    (web,) = days_per_stage(user=rep)
    assert web.source == LeadSource.WEB
    assert web.days[SalesStage.QUALIFY] == (10.0, 1)
    assert web.days[SalesStage.DEVELOP] == (3.0, 1)
    assert web.days[SalesStage.PROPOSE][0] < 0.1
    assert SalesStage.CLOSE not in web.days
    page = manager_client.get(reverse("leads:source-report")).content.decode()
    assert "Days per stage" in page
    assert "10 d" in page and "3 d" in page
