"""The lead state machine on the model: sources, targets, refusals and the log."""

import pytest
from django_fsm import TransitionNotAllowed, can_proceed
from django_fsm_log.models import StateLog

from leads.models import (
    CLOSED_STATUSES,
    DISQUALIFY_REASONS,
    LEAD_STATE_OF_STATUS,
    OPEN_STATUSES,
    Lead,
    LeadState,
    LeadStatus,
)
from tests import factories

ALL_STATUSES = list(LeadStatus)


pytestmark = pytest.mark.django_db


def lead_in(status, **fields):
    """A lead whose state and status reason agree (saved: django-fsm-log records
    every transition against a stored row)."""
    return factories.LeadFactory(
        status=status, state=LEAD_STATE_OF_STATUS[status], **fields
    )


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_mark_contacted_only_from_new(status):
    lead = lead_in(status)
    if status == LeadStatus.NEW:
        lead.mark_contacted()
        assert (lead.state, lead.status) == (LeadState.OPEN, LeadStatus.CONTACTED)
    else:
        with pytest.raises(TransitionNotAllowed):
            lead.mark_contacted()
        assert lead.status == status


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_qualify_only_from_open(status):
    lead = lead_in(status)
    if status in OPEN_STATUSES:
        lead.qualify()
        assert (lead.state, lead.status) == (LeadState.QUALIFIED, LeadStatus.QUALIFIED)
        assert lead.qualified_at is not None
        assert lead.closed_at == lead.qualified_at
    else:
        with pytest.raises(TransitionNotAllowed):
            lead.qualify()


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_disqualify_only_from_open(status):
    lead = lead_in(status)
    if status in OPEN_STATUSES:
        lead.disqualify(reason=LeadStatus.NO_LONGER_INTERESTED)
        assert (lead.state, lead.status) == (
            LeadState.DISQUALIFIED,
            LeadStatus.NO_LONGER_INTERESTED,
        )
        assert lead.closed_at is not None
    else:
        with pytest.raises(TransitionNotAllowed):
            lead.disqualify(reason=LeadStatus.LOST)


@pytest.mark.parametrize("reason", DISQUALIFY_REASONS)
def test_each_disqualify_reason_becomes_the_status(reason):
    lead = lead_in(LeadStatus.CONTACTED)
    lead.disqualify(reason=reason)
    assert lead.status == reason
    assert lead.state == LeadState.DISQUALIFIED


@pytest.mark.parametrize(
    "reason", [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, 99]
)
def test_disqualify_refuses_a_non_reason(reason):
    lead = lead_in(LeadStatus.NEW)
    with pytest.raises(ValueError):
        lead.disqualify(reason=reason)
    assert lead.status == LeadStatus.NEW


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_reactivate_only_from_closed(status):
    lead = lead_in(status, qualified_at=None)
    if status in CLOSED_STATUSES:
        lead.reactivate()
        assert (lead.state, lead.status) == (LeadState.OPEN, LeadStatus.NEW)
        assert lead.closed_at is None and lead.qualified_at is None
    else:
        with pytest.raises(TransitionNotAllowed):
            lead.reactivate()


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_mark_merged_only_from_open_and_points_at_master(status):
    master = lead_in(LeadStatus.NEW)
    lead = lead_in(status)
    if status in OPEN_STATUSES:
        lead.mark_merged(master=master)
        assert lead.merged and lead.master is master
        assert (lead.state, lead.status) == (
            LeadState.DISQUALIFIED,
            LeadStatus.CANCELED,
        )
    else:
        with pytest.raises(TransitionNotAllowed):
            lead.mark_merged(master=master)
        assert not lead.merged


def test_can_proceed_matches_the_table():
    lead = lead_in(LeadStatus.CONTACTED)
    assert not can_proceed(lead.mark_contacted)
    assert can_proceed(lead.qualify)
    assert can_proceed(lead.disqualify)
    assert not can_proceed(lead.reactivate)


def test_status_is_protected_from_direct_assignment(rep):
    lead = factories.LeadFactory(owner_user=rep)
    with pytest.raises(AttributeError):
        lead.status = LeadStatus.QUALIFIED
    lead.refresh_from_db()  # FSMModelMixin: reloading a protected field works
    assert lead.status == LeadStatus.NEW


def test_transition_is_logged_with_who_and_reason(rep, direct_writes):
    lead = factories.LeadFactory(owner_user=rep)
    lead.disqualify(reason=LeadStatus.CANNOT_CONTACT, by=rep, description="No answer")
    lead.save()
    log = StateLog.objects.for_(lead).get()
    assert log.by == rep
    assert log.transition == "disqualify"
    assert log.source_state == str(int(LeadStatus.NEW))
    assert log.state == str(int(LeadStatus.CANNOT_CONTACT))
    assert log.description == "No answer"


def test_every_transition_step_is_logged_in_order(rep, direct_writes):
    lead = factories.LeadFactory(owner_user=rep)
    lead.mark_contacted(by=rep)
    lead.save()
    lead.qualify(by=rep)
    lead.save()
    lead.reactivate(by=rep)
    lead.save()
    names = list(
        StateLog.objects.for_(lead).order_by("pk").values_list("transition", flat=True)
    )
    assert names == ["mark_contacted", "qualify", "reactivate"]


def test_saved_state_and_status_agree_after_transitions(rep, direct_writes):
    lead = factories.LeadFactory(owner_user=rep)
    lead.disqualify(reason=LeadStatus.LOST)
    lead.save()
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.state, stored.status) == (LeadState.DISQUALIFIED, LeadStatus.LOST)


def test_available_user_transitions_per_status(rep):
    def names(lead):
        return {t.name for t in lead.get_available_user_status_transitions(user=rep)}

    assert names(lead_in(LeadStatus.NEW)) == {
        "mark_contacted",
        "qualify",
        "disqualify",
        "mark_merged",
    }
    assert names(lead_in(LeadStatus.CONTACTED)) == {
        "qualify",
        "disqualify",
        "mark_merged",
    }
    for status in CLOSED_STATUSES:
        assert names(lead_in(status)) == {"reactivate"}


def test_transition_labels_feed_buttons():
    lead = lead_in(LeadStatus.NEW)
    labels = {
        t.name: t.custom.get("label") for t in lead.get_available_status_transitions()
    }
    assert labels["mark_contacted"] == "Mark contacted"
    assert labels["disqualify"] == "Disqualify"


def test_merge_is_not_offered_as_a_button():
    lead = lead_in(LeadStatus.NEW)
    merge = next(
        t for t in lead.get_available_status_transitions() if t.name == "mark_merged"
    )
    assert merge.custom.get("admin") is False
