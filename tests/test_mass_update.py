"""Mass update of leads: the same changes on many leads through the services of one
edit, each lead's version checked, reported per lead, and undone exactly."""

import pytest
from django.urls import reverse

from leads.models import (
    Lead,
    LeadRating,
    LeadSource,
    LeadStatus,
    MassUpdate,
    MassUpdateOutcome,
    MassUpdateStatus,
    UndoOutcome,
)
from leads.services import mass_update as services
from leads.services import mass_update_undo
from leads.services.lifecycle import update_lead
from tests import factories

# What a test compares before and after: the fields a mass update may touch.
COMPARED = [
    "rating",
    "source",
    "campaign_id",
    "do_not_email",
    "owner_user_id",
    "owner_team_id",
    "business_unit_id",
    "status",
    "state",
    "closed_at",
]


def _values(lead):
    lead = Lead.objects.get(pk=lead.pk)
    return {name: getattr(lead, name) for name in COMPARED}


def _run(by, changes, leads, *, versions=None):
    selection = [
        (lead.pk, (versions or {}).get(lead.pk, lead.version)) for lead in leads
    ]
    job = services.create_mass_update(by=by, changes=changes, selection=selection)
    return services.process_mass_update(mass_update_id=job.pk, by=by)


def _undo(job, by):
    mass_update_undo.undo_mass_update(mass_update=job, by=by)
    return mass_update_undo.process_mass_update_undo(mass_update_id=job.pk, by=by)


def _row(job, lead):
    return job.rows.get(lead=lead)


@pytest.fixture
def leads(rep):
    return [
        factories.LeadFactory(owner_user=rep, rating=LeadRating.COLD) for _ in range(3)
    ]


def test_mass_update_sets_fields_and_owner_with_history_per_lead(
    manager, rep, leads, org
):
    campaign = factories.CampaignFactory()
    job = _run(
        manager,
        {
            "rating": LeadRating.HOT,
            "campaign": campaign,
            "do_not_email": True,
            "owner_user": manager,
        },
        leads,
    )
    assert job.status == MassUpdateStatus.DONE
    assert (job.updated_count, job.skipped_count, job.rows_done) == (3, 0, 3)
    for lead in leads:
        fresh = Lead.objects.get(pk=lead.pk)
        assert fresh.rating == LeadRating.HOT
        assert fresh.campaign == campaign and fresh.do_not_email
        assert fresh.owner_user == manager
        history = fresh.history.filter(history_change_reason="mass_update")
        assert history.count() >= 1
        assert {h.history_user_id for h in history} == {manager.pk}
        row = _row(job, lead)
        assert row.before["rating"] == LeadRating.COLD
        assert row.after["owner_user_id"] == manager.pk
        assert row.version_after == fresh.version


def test_mass_update_skips_a_lead_changed_after_it_was_selected(manager, leads):
    seen = {lead.pk: lead.version for lead in leads}
    changed = update_lead(lead=leads[0], by=manager, rating=LeadRating.WARM)
    job = _run(manager, {"rating": LeadRating.HOT}, leads, versions=seen)
    assert (job.updated_count, job.skipped_count) == (2, 1)
    row = _row(job, changed)
    assert row.outcome == MassUpdateOutcome.SKIPPED
    assert row.reason == services.STALE
    assert Lead.objects.get(pk=changed.pk).rating == LeadRating.WARM


def test_mass_update_skips_closed_leads_and_counts_unchanged_ones(manager, rep):
    closed = factories.LeadFactory(owner_user=rep, disqualified=True)
    same = factories.LeadFactory(owner_user=rep, rating=LeadRating.HOT)
    job = _run(manager, {"rating": LeadRating.HOT}, [closed, same])
    assert _row(job, closed).outcome == MassUpdateOutcome.SKIPPED
    assert "disqualified" in _row(job, closed).reason
    assert _row(job, same).outcome == MassUpdateOutcome.UNCHANGED
    assert (job.updated_count, job.unchanged_count, job.skipped_count) == (0, 1, 1)


def test_undo_restores_exactly_and_skips_a_lead_changed_since(manager, rep, leads):
    team = factories.TeamFactory(business_unit=rep.business_unit)
    leads[1].source = LeadSource.ADVERTISEMENT
    before = {lead.pk: _values(lead) for lead in leads}
    job = _run(
        manager,
        {
            "rating": LeadRating.HOT,
            "source": LeadSource.WEB,
            "do_not_email": True,
            "owner_team": team,
            "status": LeadStatus.LOST,
        },
        leads,
    )
    assert job.updated_count == 3
    assert Lead.objects.get(pk=leads[0].pk).status == LeadStatus.LOST
    # Someone works on one lead after the update: reactivates and re-rates it.
    from leads.services.lifecycle import reactivate_lead

    touched = reactivate_lead(lead=leads[2], by=manager)
    touched = update_lead(lead=touched, by=manager, rating=LeadRating.WARM)
    touched_values = _values(touched)

    job = _undo(job, manager)
    assert job.status == MassUpdateStatus.UNDONE
    assert (job.restored_count, job.undo_skipped_count) == (2, 1)
    for lead in leads[:2]:
        assert _values(lead) == before[lead.pk]
    assert _values(touched) == touched_values  # not overwritten
    row = _row(job, touched)
    assert row.undo_outcome == UndoOutcome.SKIPPED
    assert "Changed after the mass update" in row.undo_reason


def test_undo_takes_a_contacted_lead_back_through_the_state_machine(manager, rep):
    contacted = factories.LeadFactory(owner_user=rep, contacted=True)
    new = factories.LeadFactory(owner_user=rep)
    job = _run(manager, {"status": LeadStatus.CANNOT_CONTACT}, [contacted, new])
    assert job.updated_count == 2
    job = _undo(job, manager)
    assert Lead.objects.get(pk=contacted.pk).status == LeadStatus.CONTACTED
    assert Lead.objects.get(pk=new.pk).status == LeadStatus.NEW
    assert job.restored_count == 2


def test_undo_of_contacted_lists_the_step_the_state_machine_lacks(manager, rep):
    lead = factories.LeadFactory(owner_user=rep)
    job = _run(manager, {"status": LeadStatus.CONTACTED}, [lead])
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONTACTED
    job = _undo(job, manager)
    row = _row(job, lead)
    assert row.undo_outcome == UndoOutcome.SKIPPED
    assert "cannot go back from “Contacted” to “New”" in row.undo_reason
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONTACTED


def test_an_illegal_status_change_is_a_skipped_row_with_the_reason(manager, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    blocked = factories.LeadFactory(
        owner_user=rep, qualifying_opportunity=opportunity, rating=LeadRating.COLD
    )
    free = factories.LeadFactory(owner_user=rep)
    job = _run(
        manager, {"status": LeadStatus.LOST, "rating": LeadRating.HOT}, [blocked, free]
    )
    row = _row(job, blocked)
    assert row.outcome == MassUpdateOutcome.SKIPPED
    assert "opportunity" in row.reason.lower()
    fresh = Lead.objects.get(pk=blocked.pk)
    assert (fresh.status, fresh.rating) == (LeadStatus.NEW, LeadRating.COLD)
    assert Lead.objects.get(pk=free.pk).status == LeadStatus.LOST


def test_a_lead_outside_the_users_scope_is_skipped_when_it_runs(rep, rep2):
    mine = factories.LeadFactory(owner_user=rep)
    theirs = factories.LeadFactory(owner_user=rep2, rating=LeadRating.COLD)
    job = _run(rep, {"rating": LeadRating.HOT}, [mine, theirs])
    assert _row(job, theirs).reason == services.OUT_OF_SCOPE
    assert Lead.objects.get(pk=theirs.pk).rating == LeadRating.COLD
    assert Lead.objects.get(pk=mine.pk).rating == LeadRating.HOT


def test_the_limit_refuses_a_larger_selection(manager, leads, settings):
    settings.LEADSITE_MASS_UPDATE_MAX_ROWS = 2
    with pytest.raises(Exception, match="at most 2 leads"):
        _run(manager, {"rating": LeadRating.HOT}, leads)
    assert not MassUpdate.objects.exists()


# --- pages -------------------------------------------------------------------------


def _apply_data(leads, **fields):
    return {
        "step": "apply",
        "selected": [f"{lead.pk}:{lead.version}" for lead in leads],
        **fields,
    }


def test_the_list_selection_opens_the_form_with_each_rows_version(
    manager_client, leads
):
    response = manager_client.post(
        reverse("leads:mass-update"),
        {
            "ids": [leads[0].pk, leads[1].pk],
            "versions": [f"{lead.pk}:{lead.version}" for lead in leads],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 selected leads" in page
    assert f'value="{leads[0].pk}:{leads[0].version}"' in page
    assert f'value="{leads[2].pk}:' not in page


def test_the_list_rows_carry_their_version(manager_client, leads):
    page = manager_client.get(reverse("leads:list") + "?view=all").content.decode()
    for lead in leads:
        assert f'name="versions" value="{lead.pk}:{lead.version}"' in page


def test_applying_runs_a_small_update_and_shows_the_report(manager_client, leads):
    response = manager_client.post(
        reverse("leads:mass-update"),
        _apply_data(leads, set_rating="on", rating=LeadRating.HOT),
    )
    job = MassUpdate.objects.get()
    assert response.url == job.get_absolute_url()
    page = manager_client.get(response.url).content.decode()
    assert "3</strong> updated" in page and "Undo this update" in page
    assert all(Lead.objects.get(pk=lead.pk).rating == LeadRating.HOT for lead in leads)
    manager_client.post(reverse("leads:mass-update-undo", args=[job.pk]))
    assert all(Lead.objects.get(pk=lead.pk).rating == LeadRating.COLD for lead in leads)


def test_a_field_left_unticked_is_not_set(manager_client, leads):
    manager_client.post(
        reverse("leads:mass-update"),
        _apply_data(
            leads, set_rating="on", rating=LeadRating.HOT, source=LeadSource.EMAIL
        ),
    )
    assert MassUpdate.objects.get().changes == {"rating": LeadRating.HOT}


def test_a_rep_cannot_select_a_lead_outside_their_scope(rep_client, rep, rep2):
    theirs = factories.LeadFactory(owner_user=rep2)
    response = rep_client.post(
        reverse("leads:mass-update"),
        _apply_data([theirs], set_rating="on", rating=LeadRating.HOT),
    )
    assert response.status_code == 200
    assert "not available to you" in response.content.decode()
    assert not MassUpdate.objects.exists()


def test_the_owner_must_be_someone_the_user_may_assign_to(rep_client, rep, rep2):
    mine = factories.LeadFactory(owner_user=rep)
    response = rep_client.post(
        reverse("leads:mass-update"),
        _apply_data([mine], set_owner="on", owner_user=rep2.pk),
    )
    assert "Select a valid choice" in response.content.decode()
    assert not MassUpdate.objects.exists()


def test_all_matching_applies_the_users_scope(rep_client, rep, rep2):
    mine = factories.LeadFactory(owner_user=rep, rating=LeadRating.COLD)
    theirs = factories.LeadFactory(owner_user=rep2, rating=LeadRating.COLD)
    page = rep_client.get(reverse("leads:mass-update") + "?view=all")
    assert "All 1 lead matching" in page.content.decode()
    rep_client.post(
        reverse("leads:mass-update"),
        {
            "step": "apply",
            "all_matching": "True",
            "query": "view=all",
            "set_rating": "on",
            "rating": LeadRating.HOT,
        },
    )
    job = MassUpdate.objects.get()
    assert job.total == 1 and job.query == "view=all"
    assert Lead.objects.get(pk=mine.pk).rating == LeadRating.HOT
    assert Lead.objects.get(pk=theirs.pk).rating == LeadRating.COLD


def test_all_matching_over_the_limit_is_refused(manager_client, leads, settings):
    settings.LEADSITE_MASS_UPDATE_MAX_ROWS = 2
    page = manager_client.get(reverse("leads:mass-update") + "?view=all")
    assert "changes at most 2 leads" in page.content.decode()
    response = manager_client.post(
        reverse("leads:mass-update"),
        {
            "step": "apply",
            "all_matching": "True",
            "query": "view=all",
            "set_rating": "on",
            "rating": LeadRating.HOT,
        },
    )
    assert "at most 2 leads" in response.content.decode()
    assert not MassUpdate.objects.exists()


def test_a_large_update_only_queues_and_the_worker_does_it(
    manager_client, leads, settings, monkeypatch
):
    from leads import tasks
    from tests.task_worker import DATABASE_TASKS, queued_tasks, run_queued_tasks

    settings.TASKS = DATABASE_TASKS
    monkeypatch.setattr(tasks, "MASS_UPDATE_INLINE_ROWS", 1)
    response = manager_client.post(
        reverse("leads:mass-update"),
        _apply_data(leads, set_rating="on", rating=LeadRating.HOT),
    )
    job = MassUpdate.objects.get()
    assert job.status == MassUpdateStatus.QUEUED
    assert queued_tasks() == ["leads.tasks.run_mass_update"]
    panel = manager_client.get(reverse("leads:mass-update-progress", args=[job.pk]))
    assert "hx-trigger" in panel.content.decode()
    run_queued_tasks()
    job.refresh_from_db()
    assert job.status == MassUpdateStatus.DONE and job.updated_count == 3
    assert response.url == job.get_absolute_url()


def test_the_report_page_reads_a_constant_number_of_queries(
    manager, manager_client, rep, django_assert_max_num_queries
):
    def report_queries(count):
        leads = [
            factories.LeadFactory(owner_user=rep, disqualified=True)
            for _ in range(count)
        ]
        job = _run(manager, {"rating": LeadRating.HOT}, leads)
        with django_assert_max_num_queries(12):
            response = manager_client.get(job.get_absolute_url())
        assert response.status_code == 200

    report_queries(2)
    report_queries(30)


def test_the_bench_scenario_updates_and_undoes_then_rolls_back(manager, rep):
    from leads.management.bench.mass_update import bench_mass_update

    leads = [factories.LeadFactory(owner_user=rep) for _ in range(6)]
    before = [_values(lead) for lead in leads]
    result = bench_mass_update(viewer=manager, count=5)
    assert (result["updated"], result["restored"], result["skipped_rows"]) == (5, 5, 0)
    assert len(result["rss_mb_by_tenth"]) == 10
    assert [_values(lead) for lead in leads] == before
    assert not MassUpdate.objects.exists()
    assert (
        "needs 10 open leads" in bench_mass_update(viewer=manager, count=10)["skipped"]
    )
