"""A save rescores its lead from the statement lead_pairs builds, compiled once and
reused (leads.services.scoring.one_lead_pairs): it reads the same pairs as
lead_pairs for leads of every kind, at any time, and the lead's stored score is
the one the batch path gives."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from leads.models import Lead, LeadRating, LeadScore, LeadSource
from leads.selectors.scoring import lead_pairs
from leads.services.scoring import (
    one_lead_pairs,
    rebuild_scores,
    request_rebuild,
    score_leads,
)
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def leads(administrator):
    now = timezone.now()
    make = factories.LeadFactory
    return [
        make(owner_user=administrator),  # new, untouched: pending
        make(
            owner_user=administrator,
            created_at=now - 10 * DAY,
            first_activity_at=now - 10 * DAY + datetime.timedelta(hours=3),
            source=LeadSource.EMPLOYEE_REFERRAL,
            rating=LeadRating.HOT,
            decision_maker=True,
            number_of_employees=400,
            estimated_value=Decimal("300000"),
            country="Germany",
        ),
        make(
            owner_user=administrator,
            created_at=now - 20 * DAY,
            business_phone="12",
            email="",
            estimated_value=None,
            industry=None,
        ),
        make(owner_user=administrator, created_at=now - 5 * DAY, email="not-an-email"),
        make(
            owner_user=administrator,
            qualified=True,
            created_at=now - 30 * DAY,
            first_activity_at=now - 25 * DAY,
            business_phone="",
        ),
        make(owner_user=administrator, disqualified=True, created_at=now - DAY),
    ]


@pytest.mark.parametrize("days_later", [0, 2, 40])
def test_one_lead_reads_the_same_pairs_as_lead_pairs(leads, days_later):
    now = timezone.now() + days_later * DAY
    for lead in leads:
        assert list(one_lead_pairs(lead.pk, now)) == list(
            lead_pairs(Lead.objects.filter(pk=lead.pk), now)
        )
    assert list(one_lead_pairs(10**12, now)) == []


def test_a_lead_rescored_alone_is_stored_as_the_batch_stores_it(leads, administrator):
    """With a model to score by: 240 closed leads, web leads all lost."""
    factories.LeadFactory.create_batch(120, owner_user=administrator, qualified=True)
    factories.LeadFactory.create_batch(
        120, owner_user=administrator, disqualified=True, source=LeadSource.WEB
    )
    rebuild, _ = request_rebuild(by=None)
    rebuild_scores(rebuild_id=rebuild.pk)
    open_ids = [lead.pk for lead in leads[:4]]
    now = timezone.now()
    score_leads(open_ids, now=now)
    batch = {
        row.lead_id: (row.score, row.model_score, row.scope, row.factors)
        for row in LeadScore.objects.filter(lead_id__in=open_ids)
    }
    later = now + datetime.timedelta(seconds=1)
    for pk in open_ids:
        score_leads([pk], now=later)
    alone = {
        row.lead_id: (row.score, row.model_score, row.scope, row.factors)
        for row in LeadScore.objects.filter(lead_id__in=open_ids)
    }
    assert alone == batch
    assert all(score is not None for score, *_ in alone.values())
