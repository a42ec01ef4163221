"""A mass update writes its chunk's history rows and scores together
(leadsite.core.deferred): the result must be exactly what the same edits made one
by one write, and a lead rolled back to its savepoint must leave nothing behind."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import (
    Lead,
    LeadAssignment,
    LeadRating,
    LeadScore,
    LeadSource,
    LeadStatus,
)
from leads.services import mass_update as services
from leads.services.lifecycle import (
    assign_lead,
    update_and_assign_lead,
    update_lead,
)
from leadsite.core.services import through
from tests import factories

HISTORY_FIELDS = ["rating", "source", "owner_user_id", "business_unit_id", "version"]


def _run(by, changes, leads):
    selection = [(lead.pk, lead.version) for lead in leads]
    job = services.create_mass_update(by=by, changes=changes, selection=selection)
    return services.process_mass_update(mass_update_id=job.pk, by=by)


def _history(lead):
    rows = Lead.history.filter(id=lead.pk).order_by("history_id")
    return [
        (
            row.history_type,
            row.history_user_id,
            *(getattr(row, name) for name in HISTORY_FIELDS),
        )
        for row in rows
    ]


def _score(lead):
    row = LeadScore.objects.filter(lead_id=lead.pk).first()
    return None if row is None else (row.model_score, row.scope, row.factors)


def _triplets(rep, count):
    made = []
    for i in range(count):
        values = {
            "owner_user": rep,
            "rating": LeadRating.COLD,
            "source": LeadSource.WEB,
            "company_name": f"Twin {i}",
            "number_of_employees": 10 + i,
        }
        made.append([factories.LeadFactory(**values) for _ in range(3)])
    return made


def _state(lead):
    lead = Lead.objects.get(pk=lead.pk)
    assignments = list(
        LeadAssignment.objects.filter(lead=lead).values_list(
            "assigned_user_id", "reason", "detail", "by_id"
        )
    )
    return (
        lead.rating,
        lead.source,
        lead.owner_user_id,
        lead.business_unit_id,
        lead.version,
        _score(lead),
        assignments,
    )


def test_a_mass_update_writes_what_the_same_edits_made_one_by_one_write(manager, rep):
    leads = _triplets(rep, 4)
    changes = {"rating": LeadRating.HOT, "source": LeadSource.TRADE_SHOW}
    job = _run(manager, {**changes, "owner_user": manager}, [a for a, _, _ in leads])
    assert job.updated_count == 4
    with through("mass_update"):
        for _, combined, apart in leads:
            update_and_assign_lead(
                lead=combined, by=manager, owner_user=manager, **changes
            )
            apart = update_lead(lead=apart, by=manager, **changes)
            assign_lead(lead=apart, by=manager, owner_user=manager)
    for batched, combined, apart in leads:
        # The chunk's deferred rows are those written at once, with the values,
        # user and channel of their moment: created, then edited and assigned.
        assert _history(batched) == _history(combined)
        assert [row[0] for row in _history(batched)] == ["+", "~"]
        # The fields and the owner in one save end where the two saves end.
        assert _state(batched) == _state(combined) == _state(apart)
        assert _score(batched) is not None
    for batched, _, _ in leads:
        rows = Lead.history.filter(id=batched.pk, history_type="~")
        assert {row.history_change_reason for row in rows} == {"mass_update"}


def test_a_lead_rolled_back_to_its_savepoint_leaves_no_history_row_or_score(
    manager, rep
):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    # Its source changes first, then the state machine refuses to disqualify it:
    # the whole lead rolls back, the deferred history row and rescoring with it.
    blocked = factories.LeadFactory(
        owner_user=rep, qualifying_opportunity=opportunity, source=LeadSource.WEB
    )
    free = factories.LeadFactory(owner_user=rep, source=LeadSource.WEB)
    history_before, score_before = _history(blocked), _score(blocked)
    job = _run(
        manager,
        {"status": LeadStatus.LOST, "source": LeadSource.TRADE_SHOW},
        [blocked, free],
    )
    assert (job.updated_count, job.skipped_count) == (1, 1)
    assert _history(blocked) == history_before
    assert _score(blocked) == score_before
    assert Lead.objects.get(pk=blocked.pk).source == LeadSource.WEB
    # The other lead's edit and transition are both in its history.
    assert [row[0] for row in _history(free)] == ["+", "~", "~"]


def test_each_more_lead_costs_a_handful_of_statements(manager, rep):
    def statements(count):
        leads = [factories.LeadFactory(owner_user=rep) for _ in range(count)]
        with CaptureQueriesContext(connection) as queries:
            job = _run(
                manager,
                {"source": LeadSource.TRADE_SHOW, "owner_user": manager},
                leads,
            )
        assert job.updated_count == count
        return len(queries.captured_queries)

    few, many = statements(5), statements(25)
    # A lead's savepoint, its one save (fields and owner) and the release: the
    # history rows, assignment log rows and scores go in per chunk.
    assert (many - few) / 20 <= 4
