"""Routing by the lead's score and grade: a rule "score ≥ 70" or "grade in A" sends
hot leads to a senior rep, for leads a person creates, captured and imported
leads alike (each is scored before it is routed); a lead without a score matches
no such condition; the dry run shows each check; the rule form validates them."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from leads.models import Lead, LeadScore, LeadSource, RoutingRule
from leads.routing.conditions import clean_condition
from leads.services import lifecycle
from leads.services.capture import capture_lead
from leads.services.scoring import (
    rebuild_scores,
    request_rebuild,
    save_scoring_config,
    score_leads,
)
from tests import factories
from tests.import_helpers import latest_batch, start, upload
from tests.task_worker import DATABASE_TASKS

pytestmark = pytest.mark.django_db

REFERRAL, ADVERT = LeadSource.EMPLOYEE_REFERRAL, LeadSource.ADVERTISEMENT
HOT = [{"field": "score", "op": "gte", "value": 70}]


@pytest.fixture
def history(administrator):
    """200 closed leads in which referrals mostly qualified (90 of 100) and
    advertisements mostly did not (10 of 100), counted by a rebuild: a referral
    now scores about 90, an advertisement about 10."""
    for source, qualified in ((REFERRAL, 90), (ADVERT, 10)):
        factories.LeadFactory.create_batch(
            qualified, owner_user=administrator, source=source, qualified=True
        )
        factories.LeadFactory.create_batch(
            100 - qualified, owner_user=administrator, source=source, disqualified=True
        )
    rebuild, _ = request_rebuild(by=administrator)
    rebuild_scores(rebuild_id=rebuild.pk)


@pytest.fixture
def senior(org):
    return factories.UserFactory(
        username="senior", first_name="Sen", last_name="Ior", business_unit=org.north
    )


def new_lead(by, source, **fields):
    return lifecycle.create_lead(
        by=by, subject="Wants a quote", last_name="Ng", source=source, **fields
    )


def score_of(lead):
    return LeadScore.objects.get(lead=lead).score


def test_a_hot_new_lead_goes_to_the_senior_rep_and_a_cold_one_stays(
    history, rep, senior
):
    factories.RoutingRuleFactory(name="Hot leads", conditions=HOT, target_user=senior)
    hot = new_lead(rep, REFERRAL)
    cold = new_lead(rep, ADVERT)
    assert score_of(hot) >= 70 > score_of(cold)
    assert hot.owner_user == senior
    assert hot.assignments.get().detail == (
        f"matched 'Hot leads' (score {score_of(hot)} ≥ 70) → {senior}"
    )
    assert cold.owner_user == rep
    assert cold.assignments.get().reason == "kept"


def test_grade_condition_follows_the_thresholds_set_now(
    history, rep, senior, administrator
):
    factories.RoutingRuleFactory(
        name="A leads",
        conditions=[{"field": "grade", "op": "in", "value": ["A"]}],
        target_user=senior,
    )
    first = new_lead(rep, REFERRAL)
    assert first.owner_user == senior  # about 90: an A at the default 75
    save_scoring_config(
        by=administrator, expected_version=None, grade_a=95, grade_b=50, grade_c=25
    )
    second = new_lead(rep, REFERRAL)
    assert score_of(second) == score_of(first) < 95  # a B now
    assert second.owner_user == rep


def test_a_lead_without_a_score_matches_no_score_or_grade_condition(rep, senior):
    """Too few closed leads: no score, so neither "score ≥ 0" nor "grade not in
    D" holds."""
    factories.RoutingRuleFactory(
        name="Any score",
        conditions=[{"field": "score", "op": "gte", "value": 0}],
        target_user=senior,
    )
    factories.RoutingRuleFactory(
        name="Not D",
        conditions=[{"field": "grade", "op": "not_in", "value": ["D"]}],
        target_user=senior,
    )
    lead = new_lead(rep, REFERRAL)
    assert score_of(lead) is None
    assert lead.owner_user == rep


def test_captured_and_imported_leads_are_scored_before_they_are_routed(
    history, org, senior, manager_client, settings
):
    factories.RoutingRuleFactory(name="Hot leads", conditions=HOT, target_user=senior)
    form = factories.CaptureFormFactory(
        business_unit=org.north, fields_shown=[], default_source=REFERRAL
    )
    captured = capture_lead(
        form=form, data={"last_name": "Lee", "email": "lee@example.org"}
    ).lead
    assert captured.owner_user == senior
    settings.TASKS = DATABASE_TASKS
    upload(
        manager_client,
        SimpleUploadedFile(
            "l.csv",
            b"subject,lastname,leadsource\n"
            b"Bikes,Referred,Employee Referral\nTrikes,Advertised,Advertisement\n",
        ),
    )
    start(manager_client, latest_batch())
    advertised, referred = Lead.objects.filter(
        last_name__in=["Referred", "Advertised"]
    ).order_by("last_name")
    assert referred.owner_user == senior and score_of(referred) >= 70
    assert advertised.owner_user != senior and score_of(advertised) < 70


def test_routing_to_another_unit_rescores_the_lead_there(rep, org):
    """The unit is part of what a lead is scored by: South has closed leads
    enough for a table of its own, North has none; a North lead routed to South
    is scored from South's table."""
    south_rep = factories.UserFactory(username="south", business_unit=org.south)
    for qualified in (True, False):
        factories.LeadFactory.create_batch(
            100, owner_user=south_rep, qualified=qualified, disqualified=not qualified
        )
    rebuild, _ = request_rebuild(by=None)
    rebuild_scores(rebuild_id=rebuild.pk)
    kept = new_lead(rep, REFERRAL)
    assert LeadScore.objects.get(lead=kept).scope == "organisation"
    factories.RoutingRuleFactory(name="South", target_user=south_rep)
    routed = new_lead(rep, REFERRAL)
    assert routed.business_unit == org.south
    assert LeadScore.objects.get(lead=routed).scope == "unit"


def test_dry_run_shows_each_leads_score_check(
    history, manager_client, manager, org, senior
):
    hot = factories.LeadFactory(
        owner_user=manager, business_unit=org.north, source=REFERRAL
    )
    cold = factories.LeadFactory(
        owner_user=manager, business_unit=org.north, source=ADVERT
    )
    unscored = factories.LeadFactory(owner_user=manager, business_unit=org.north)
    score_leads([hot.pk, cold.pk])
    data = {
        "name": "Hot leads",
        "order": "10",
        "is_active": "on",
        "business_unit": str(org.north.pk),
        "target_user": str(senior.pk),
        "distribution": "round_robin",
        "conditions-TOTAL_FORMS": "1",
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "1000",
        "conditions-0-field": "score",
        "conditions-0-op": "gte",
        "conditions-0-value": "70",
        "leads": "10",
        "dry_run": "1",
    }
    response = manager_client.post("/routing/rules/new/", data)
    assert response.status_code == 200
    rows = {row.lead.pk: row for row in response.context["dry_run"].rows}
    assert rows[hot.pk].would == senior and rows[cold.pk].would == manager
    html = response.content.decode()
    assert f"score {score_of(hot)} ≥ 70 ✓" in html
    assert f"score {score_of(cold)} ≥ 70 ✗" in html
    assert "score (none) ≥ 70 ✗" in html and rows[unscored.pk].score is None
    assert f"{score_of(hot)} (A)" in html
    assert not RoutingRule.objects.exists()


def test_rule_form_offers_and_validates_score_and_grade(manager_client, org, senior):
    page = manager_client.get("/routing/rules/new/").content.decode()
    assert '<option value="score">Score</option>' in page
    assert '<option value="grade:A">A</option>' in page
    base = {
        "name": "Hot",
        "order": "10",
        "is_active": "on",
        "business_unit": str(org.north.pk),
        "target_user": str(senior.pk),
        "distribution": "round_robin",
        "conditions-TOTAL_FORMS": "2",
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "1000",
        "leads": "10",
        "conditions-1-field": "grade",
        "conditions-1-op": "in",
        "conditions-1-values": ["grade:A", "grade:B"],
    }
    for bad in ("150", "-1", "7.5", "hot"):
        response = manager_client.post(
            "/routing/rules/new/",
            {
                **base,
                "conditions-0-field": "score",
                "conditions-0-op": "gte",
                "conditions-0-value": bad,
            },
        )
        errors = response.context["formset"].forms[0].errors["value"]
        assert errors == ["Score ≥ needs a whole number from 0 to 100."], bad
    response = manager_client.post(
        "/routing/rules/new/",
        {**base, "conditions-0-field": "score", "conditions-0-op": "empty"},
    )
    assert "operator is one of: ≥, ≤" in str(
        response.context["formset"].forms[0].errors
    )
    assert not RoutingRule.objects.exists()
    response = manager_client.post(
        "/routing/rules/new/",
        {
            **base,
            "conditions-0-field": "score",
            "conditions-0-op": "gte",
            "conditions-0-value": "70",
        },
    )
    assert response.status_code == 302
    assert RoutingRule.objects.get().conditions == [
        {"field": "score", "op": "gte", "value": 70},
        {"field": "grade", "op": "in", "value": ["A", "B"]},
    ]
    assert (
        "score ≥ 70; grade in A, B" in manager_client.get("/routing/").content.decode()
    )


def test_grade_values_are_the_four_letters():
    assert clean_condition({"field": "grade", "op": "equals", "value": "b"}) == {
        "field": "grade",
        "op": "equals",
        "value": "B",
    }
    for bad in ("E", 1, ["A"], ""):
        with pytest.raises(ValidationError, match="one of A, B, C, D"):
            clean_condition({"field": "grade", "op": "equals", "value": bad})


def test_the_api_dry_run_reads_the_score_too(history, rep, senior, administrator):
    """POST /api/leads/{id}/route with dry_run: a rule on the score is tested
    against the lead's score, as the routing itself does."""
    from rest_framework.test import APIClient

    lead = lifecycle.create_lead(
        by=rep, subject="Quote", last_name="Ng", source=REFERRAL, assign_to_me=True
    )
    assert score_of(lead) >= 70 and lead.owner_user == rep
    factories.RoutingRuleFactory(name="Hot leads", conditions=HOT, target_user=senior)
    client = APIClient()
    client.force_authenticate(administrator)
    response = client.post(
        f"/api/leads/{lead.pk}/route", {"dry_run": True}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["owner"]["id"] == senior.pk
    assert Lead.objects.get(pk=lead.pk).owner_user == rep
