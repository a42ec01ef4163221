"""Lead scoring as people see and steer it: the lead page's score panel, pinning
and unpinning a score, the home page's "Call these first" and the administrator's
settings and rebuild in the Django admin."""

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from leads.models import (
    LeadScore,
    LeadSource,
    RebuildStatus,
    ScoreRebuild,
    ScoringConfig,
)
from leads.services.lifecycle import update_lead
from leads.services.scoring import (
    pin_score,
    rebuild_scores,
    request_rebuild,
    save_scoring_config,
)
from tests import factories
from tests.task_worker import DATABASE_TASKS, queued_tasks, run_queued_tasks

pytestmark = pytest.mark.django_db

# (source, qualified, disqualified) of the closed leads the model learns from.
HISTORY = [
    (LeadSource.EMPLOYEE_REFERRAL, 10, 2),
    (LeadSource.WEB, 3, 12),
    (LeadSource.TRADE_SHOW, 4, 4),
]


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _rebuild():
    rebuild, _ = request_rebuild(by=None)
    rebuild_scores(rebuild_id=rebuild.pk)


@pytest.fixture
def trained(administrator, manager):
    """Closed leads enough for the model (its minimums lowered to 20 closed, 5 of
    each outcome): Employee Referral mostly qualifies, Web mostly not."""
    save_scoring_config(by=administrator, min_closed=20, min_each=5)
    for source, qualified, disqualified in HISTORY:
        factories.LeadFactory.create_batch(
            qualified, owner_user=manager, source=source, qualified=True
        )
        factories.LeadFactory.create_batch(
            disqualified, owner_user=manager, source=source, disqualified=True
        )


def scored_lead(owner, source, **fields):
    lead = factories.LeadFactory(owner_user=owner, source=source, **fields)
    _rebuild()
    return lead


# --- The lead page ------------------------------------------------------------------


def test_lead_page_shows_score_grade_trend_and_factors(rep_client, rep, trained):
    lead = scored_lead(rep, LeadSource.EMPLOYEE_REFERRAL)
    row = LeadScore.objects.get(lead=lead)
    html = rep_client.get(lead.get_absolute_url()).content.decode()
    assert f'id="score-value">{row.score}<' in html
    assert re.search(r'id="score-grade"[^>]*>Grade [A-D]<', html)
    assert "Source is Employee Referral: qualifies" in html
    assert "as often as average" in html
    # No score a week old yet: no trend, said so.
    assert "No score from a week ago to compare with yet." in html
    assert "Pin a score" in html


def test_lead_page_without_enough_data_says_why(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    html = rep_client.get(lead.get_absolute_url()).content.decode()
    assert "Not enough data yet: 0 closed leads, 200 needed." in html
    assert 'id="score-value"' not in html


def test_pinned_score_says_who_pinned_it_and_shows_the_models(rep_client, rep, trained):
    lead = scored_lead(rep, LeadSource.WEB)
    model_score = LeadScore.objects.get(lead=lead).model_score
    pin_score(lead=lead, by=rep, score=88, reason="CEO asked for a demo")
    html = rep_client.get(lead.get_absolute_url()).content.decode()
    assert 'id="score-value">88<' in html
    assert "Pinned by" in html and str(rep) in html
    assert escape("“CEO asked for a demo”") in html
    assert f'id="score-model">{model_score}<' in html
    assert "Unpin" in html


# --- Pinning -------------------------------------------------------------------------


def _pin_url(lead):
    return reverse("leads:score-pin", args=[lead.pk])


def test_rep_pins_a_score_with_a_reason(rep_client, rep, trained):
    lead = scored_lead(rep, LeadSource.WEB)
    response = rep_client.post(
        _pin_url(lead),
        {
            "pinned_score": "77",
            "pin_reason": "Budget approved",
            "version": lead.version,
        },
    )
    assert response.status_code == 302
    assert response.url == lead.get_absolute_url()
    assert _messages(response) == ["Score pinned at 77: Budget approved"]
    row = LeadScore.objects.get(lead=lead)
    assert (row.score, row.pinned_score, row.pinned_by) == (77, 77, rep)


def test_pin_errors_show_beside_the_fields(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    response = rep_client.post(
        _pin_url(lead),
        {"pinned_score": "150", "pin_reason": " ", "version": lead.version},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'id="id_pinned_score_error">[^<]*less than or equal to 100', html)
    assert 'id="id_pin_reason_error">This field is required.' in html
    assert not LeadScore.objects.filter(lead=lead, pinned_score__isnull=False).exists()


def test_pin_over_a_lead_changed_meanwhile_is_refused_with_the_input_kept(
    rep_client, rep, trained
):
    lead = scored_lead(rep, LeadSource.WEB)
    loaded_at = lead.version
    update_lead(lead=lead, by=rep, source=LeadSource.EMPLOYEE_REFERRAL)
    lead.refresh_from_db()
    response = rep_client.post(
        _pin_url(lead),
        {"pinned_score": "61", "pin_reason": "Met at the fair", "version": loaded_at},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone changed this lead while you were pinning its score" in html
    assert 'value="61"' in html and 'value="Met at the fair"' in html
    assert f'name="version" value="{lead.version}"' in html
    assert LeadScore.objects.get(lead=lead).pinned_score is None
    # Sent again (now at the current version) it pins.
    data = {"pinned_score": "61", "pin_reason": "Met at the fair"}
    response = rep_client.post(_pin_url(lead), {**data, "version": lead.version})
    assert response.status_code == 302
    assert LeadScore.objects.get(lead=lead).pinned_score == 61


def test_the_pin_form_loads_with_the_version_the_lead_page_showed(rep_client, rep):
    """The form is fetched when "Pin a score" opens, after the page was read: it
    carries the page's version, so a change made in between is a conflict."""
    lead = factories.LeadFactory(owner_user=rep)
    html = rep_client.get(lead.get_absolute_url()).content.decode()
    url = f"{_pin_url(lead)}?version={lead.version}"
    assert f'hx-get="{escape(url)}"' in html
    update_lead(lead=lead, by=rep, source=LeadSource.EMPLOYEE_REFERRAL)
    form = rep_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert re.search(rf'name="version" value="{lead.version}"', form)
    assert 'id="id_pin_pinned_score"' in form
    data = {"pinned_score": "61", "pin_reason": "Fair", "version": lead.version}
    response = rep_client.post(_pin_url(lead), data)
    assert "Someone changed this lead while you were pinning its score" in (
        response.content.decode()
    )
    assert LeadScore.objects.get(lead=lead).pinned_score is None


def test_a_closed_lead_refuses_a_pin(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, disqualified=True)
    response = rep_client.post(
        _pin_url(lead),
        {"pinned_score": "50", "pin_reason": "Try", "version": lead.version},
    )
    assert response.status_code == 302
    assert _messages(response) == [
        "The score was not pinned. This lead is disqualified. Reactivate it to "
        "change it."
    ]
    assert not LeadScore.objects.filter(lead=lead, pinned_score__isnull=False).exists()
    html = rep_client.get(lead.get_absolute_url()).content.decode()
    assert "Pin a score" not in html
    assert "This lead is closed: its score is no longer updated or pinned." in html


def test_a_rep_cannot_pin_a_lead_outside_their_scope(rep_client, rep2):
    lead = factories.LeadFactory(owner_user=rep2)
    data = {"pinned_score": "50", "pin_reason": "Mine now", "version": lead.version}
    assert rep_client.post(_pin_url(lead), data).status_code == 404
    unpin = reverse("leads:score-unpin", args=[lead.pk])
    assert rep_client.post(unpin, {"version": lead.version}).status_code == 404


def test_a_manager_pins_a_lead_of_their_unit(manager_client, rep, trained):
    lead = scored_lead(rep, LeadSource.WEB)
    data = {"pinned_score": "40", "pin_reason": "Checked", "version": lead.version}
    assert manager_client.post(_pin_url(lead), data).status_code == 302
    assert LeadScore.objects.get(lead=lead).pinned_score == 40


def test_unpin_gives_the_models_score_back(rep_client, rep, trained):
    lead = scored_lead(rep, LeadSource.WEB)
    model_score = LeadScore.objects.get(lead=lead).model_score
    pin_score(lead=lead, by=rep, score=95, reason="Hunch")
    lead.refresh_from_db()  # a pin moves the lead's version on
    unpin = reverse("leads:score-unpin", args=[lead.pk])
    response = rep_client.post(unpin, {"version": lead.version})
    assert response.status_code == 302
    assert _messages(response) == ["Pin removed: the score is the model's again."]
    row = LeadScore.objects.get(lead=lead)
    assert (row.score, row.pinned_score, row.pin_reason) == (model_score, None, "")


def test_unpin_from_a_stale_page_is_refused(rep_client, rep, trained):
    lead = scored_lead(rep, LeadSource.WEB)
    pin_score(lead=lead, by=rep, score=95, reason="Hunch")
    lead.refresh_from_db()  # a pin moves the lead's version on
    loaded_at = lead.version
    update_lead(lead=lead, by=rep, company_name="Renamed Ltd")
    unpin = reverse("leads:score-unpin", args=[lead.pk])
    response = rep_client.post(unpin, {"version": loaded_at})
    assert response.status_code == 302
    assert "the score was not unpinned" in _messages(response)[0]
    assert LeadScore.objects.get(lead=lead).pinned_score == 95


# --- The home page ------------------------------------------------------------------


def test_home_lists_the_reps_best_scored_open_leads_first(
    rep_client, rep, rep2, trained
):
    web = factories.LeadFactory(owner_user=rep, source=LeadSource.WEB)
    referral = factories.LeadFactory(
        owner_user=rep, source=LeadSource.EMPLOYEE_REFERRAL
    )
    fair = factories.LeadFactory(owner_user=rep, source=LeadSource.TRADE_SHOW)
    others = factories.LeadFactory(owner_user=rep2, source=LeadSource.EMPLOYEE_REFERRAL)
    _rebuild()
    pin_score(lead=web, by=rep, score=99, reason="Signed the letter of intent")
    response = rep_client.get("/")
    rows = response.context["call_first"]
    assert [row.lead.pk for row in rows] == [web.pk, referral.pk, fair.pk]
    assert [row.score for row in rows] == sorted(
        (row.score for row in rows), reverse=True
    )
    assert rows[0].pinned and rows[0].grade == "A"
    html = response.content.decode()
    card = html[html.index('id="call-first"') :]
    assert card.index(escape(web.company_name)) < card.index(
        escape(referral.company_name)
    )
    assert "Source is Employee Referral: " in card
    assert escape(others.company_name) not in card


def test_home_shows_at_most_eight_leads_in_constant_queries(rep_client, rep, trained):
    campaign = factories.CampaignFactory(name="Spring fair")
    factories.LeadFactory.create_batch(
        2, owner_user=rep, source=LeadSource.EMPLOYEE_REFERRAL, campaign=campaign
    )
    _rebuild()
    rep_client.get("/")  # the process's scoring settings load once
    with CaptureQueriesContext(connection) as few:
        rep_client.get("/")
    factories.LeadFactory.create_batch(
        10, owner_user=rep, source=LeadSource.EMPLOYEE_REFERRAL, campaign=campaign
    )
    _rebuild()
    rep_client.get("/")
    with CaptureQueriesContext(connection) as many:
        response = rep_client.get("/")
    assert len(response.context["call_first"]) == 8
    assert len(many.captured_queries) == len(few.captured_queries)


def test_home_without_enough_data_says_why(rep_client, rep):
    factories.LeadFactory(owner_user=rep)
    html = rep_client.get("/").content.decode()
    assert 'id="call-first-missing">Not enough data yet: 0 closed leads' in html


# --- The administrator's settings and rebuild -------------------------------------


SETTINGS_URL = "/admin/leads/scoringconfig/"


def _settings_form(**changes):
    data = {
        "grade_a": "75",
        "grade_b": "50",
        "grade_c": "25",
        "min_closed": "200",
        "min_each": "20",
        "min_unit_closed": "200",
        "version": "1",
    }
    return {**data, **changes}


def test_admin_saves_the_scoring_settings_through_the_service(
    admin_client_, administrator, rep, trained
):
    lead = scored_lead(rep, LeadSource.EMPLOYEE_REFERRAL)
    assert admin_client_.get(SETTINGS_URL).status_code == 200
    current = ScoringConfig.objects.get(pk=1)
    response = admin_client_.post(
        SETTINGS_URL,
        _settings_form(
            grade_a="95",
            grade_b="90",
            grade_c="85",
            min_closed="20",
            min_each="5",
            version=str(current.version),
        ),
    )
    assert response.status_code == 302
    saved = ScoringConfig.objects.get(pk=1)
    assert (saved.grade_a, saved.version) == (95, current.version + 1)
    # The grades follow at once (the process's copy was dropped by the save).
    score = LeadScore.objects.get(lead=lead).score
    assert score < 95
    html = admin_client_.get(lead.get_absolute_url()).content.decode()
    assert re.search(r'id="score-grade"[^>]*>Grade [B-D]<', html)


def test_admin_settings_saved_over_another_save_are_refused(
    admin_client_, administrator
):
    page = admin_client_.get(SETTINGS_URL)
    loaded = page.context["adminform"].form.initial["version"]
    save_scoring_config(by=administrator, grade_a=80)  # someone else, meanwhile
    response = admin_client_.post(
        SETTINGS_URL, _settings_form(grade_a="90", version=str(loaded))
    )
    assert response.status_code == 200
    assert "was changed by someone else after you opened this page" in (
        response.content.decode()
    )
    assert ScoringConfig.objects.get(pk=1).grade_a == 80


def test_admin_settings_thresholds_must_decrease(admin_client_):
    response = admin_client_.post(
        SETTINGS_URL, _settings_form(grade_a="40", grade_b="50")
    )
    assert response.status_code == 200
    assert "Thresholds decrease: A above B above C." in response.content.decode()


def test_rebuild_button_queues_one_rebuild_and_a_second_click_joins_it(
    admin_client_, settings, django_capture_on_commit_callbacks, rep, trained
):
    settings.TASKS = DATABASE_TASKS
    lead = factories.LeadFactory(owner_user=rep, source=LeadSource.EMPLOYEE_REFERRAL)
    url = reverse("admin:leads_scorerebuild_rebuild")
    with django_capture_on_commit_callbacks(execute=True):
        first = admin_client_.post(url)
    assert _messages(first) == ["Score rebuild queued. This page shows its progress."]
    with django_capture_on_commit_callbacks(execute=True):
        second = admin_client_.post(url)
    assert "your request joins it" in _messages(second)[-1]
    (rebuild,) = ScoreRebuild.objects.filter(status=RebuildStatus.QUEUED)
    assert first.url == second.url == f"/admin/leads/scorerebuild/{rebuild.pk}/change/"
    assert queued_tasks() == ["leads.tasks.rebuild_lead_scores"]
    waiting = admin_client_.get(first.url).content.decode()
    assert 'http-equiv="refresh"' in waiting and "waiting for a worker" in waiting

    run_queued_tasks()
    done = admin_client_.get(first.url).content.decode()
    assert 'http-equiv="refresh"' not in done
    assert 'value="100"' in done and "open leads rescored from" in done
    assert LeadScore.objects.get(lead=lead).score is not None


def test_rebuild_needs_an_administrator(client, manager, rep_client):
    url = reverse("admin:leads_scorerebuild_rebuild")
    assert rep_client.post(url).status_code == 302  # to the admin's login
    assert not ScoreRebuild.objects.exists()
    assert rep_client.get(url).status_code == 302


def test_rebuild_list_offers_the_button(admin_client_):
    html = admin_client_.get("/admin/leads/scorerebuild/").content.decode()
    assert 'id="rebuild-scores"' in html
