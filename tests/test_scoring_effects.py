"""The score finds effects that are known: leads whose outcome was drawn from a
logistic model of three of their values (source, a phone number, the decision
maker) train the tables; fresh leads drawn the same way are scored, and the
model ranks the value combinations in the order of their true probabilities,
with an AUC close to the best any model could reach on those leads (the oracle
AUC, from the true probabilities). Then the demo data: seed_demo's documented
effects (leads/management/seeding/outcomes.py) show in the scores it leaves."""

import io
import math
import random
from statistics import mean

import pytest
from django.core.management import call_command

from leads.management.seeding import outcomes
from leads.models import Lead, LeadScore, LeadSource, LeadState
from leads.scoring.evaluation import auc, oracle_auc
from leads.services.scoring import rebuild_scores, request_rebuild, score_leads
from tests import factories

pytestmark = pytest.mark.django_db

SEED = 2024
TRAIN, FRESH = 3000, 2000
# Log-odds: a base, plus an effect per value. Source in steps of 1.8 (two
# phone-steps), a phone number 0.9 (two decision-maker steps), the decision maker
# 0.45: the twelve combinations are 0.45 apart, from p 0.06 to 0.91.
BASE = -2.7
SOURCE = {
    LeadSource.ADVERTISEMENT: (0.0, 0.3),  # (effect, share of the leads)
    LeadSource.WEB: (1.8, 0.4),
    LeadSource.EMPLOYEE_REFERRAL: (3.6, 0.3),
}
PHONE, PHONE_SHARE = 0.9, 0.8
DECISION_MAKER, DECISION_MAKER_SHARE = 0.45, 0.35
ENOUGH = 30  # fresh leads a combination needs for its place in the order


def draw(rng):
    """(source, has phone, decision maker) and the true probability of qualifying."""
    sources = list(SOURCE)
    source = rng.choices(sources, weights=[SOURCE[s][1] for s in sources])[0]
    has_phone = rng.random() < PHONE_SHARE
    decision_maker = rng.random() < DECISION_MAKER_SHARE
    log_odds = (
        BASE
        + SOURCE[source][0]
        + (PHONE if has_phone else 0)
        + (DECISION_MAKER if decision_maker else 0)
    )
    return (source, has_phone, decision_maker), 1 / (1 + math.exp(-log_odds))


def make_leads(rng, count, owner, *, closed):
    """`count` leads drawn by `draw`, written in one bulk insert (open ones stay
    New; closed ones qualified or lost by their probability). Everything else
    about them is alike. Returns [(lead, combination, probability, qualified)]."""
    drawn = []
    for i in range(count):
        combination, probability = draw(rng)
        qualified = rng.random() < probability
        source, has_phone, decision_maker = combination
        traits = {}
        if closed:
            traits = {"qualified": True} if qualified else {"disqualified": True}
        lead = factories.LeadFactory.build(
            owner_user=owner,
            subject="Enquiry",
            first_name="Pat",
            last_name=f"Lead {i}",
            company_name="Acme",
            source=source,
            business_phone=f"+1 555 {i:07d}" if has_phone else "",
            decision_maker=decision_maker,
            **traits,
        )
        drawn.append((lead, combination, probability, qualified))
    Lead.objects.bulk_create([row[0] for row in drawn], batch_size=500)
    return drawn


def test_the_model_finds_known_effects(administrator, direct_writes):
    rng = random.Random(SEED)
    make_leads(rng, TRAIN, administrator, closed=True)
    rebuild, _ = request_rebuild(by=None)
    rebuild_scores(rebuild_id=rebuild.pk)
    fresh = make_leads(rng, FRESH, administrator, closed=False)
    ids = [lead.pk for lead, *_ in fresh]
    for start in range(0, len(ids), 500):
        score_leads(ids[start : start + 500])
    scores = dict(
        LeadScore.objects.filter(lead_id__in=ids).values_list("lead_id", "score")
    )
    assert None not in scores.values() and len(scores) == FRESH

    # (a) The combinations in the order of their true probabilities: the model's
    # scores rise with them (two may share a score, none is out of order).
    by_combination = {}
    for lead, combination, probability, _ in fresh:
        by_combination.setdefault(combination, (probability, []))[1].append(
            scores[lead.pk]
        )
    ranked = sorted(
        (probability, mean(found))
        for probability, found in by_combination.values()
        if len(found) >= ENOUGH
    )
    assert len(ranked) >= 10
    model_order = [score for _, score in ranked]
    assert model_order == sorted(model_order), ranked
    assert len(set(model_order)) >= len(model_order) - 2, ranked

    # (b) The AUC on the fresh leads is within 0.03 of the oracle's.
    outcomes_ = [qualified for *_, qualified in fresh]
    model = auc([scores[pk] for pk in ids], outcomes_)
    oracle = oracle_auc([probability for _, _, probability, _ in fresh])
    assert model.value >= oracle - 0.03, (model.value, oracle)


def test_the_demo_scores_show_the_seeded_effects():
    """seed_demo leaves every open lead scored, and its known effects show: the
    sources that qualify more score higher, leads without a phone lower."""
    call_command("seed_demo", leads=1500, seed=5, stdout=io.StringIO())
    rows = list(
        LeadScore.objects.filter(lead__state=LeadState.OPEN).values_list(
            "score", "lead__source", "lead__business_phone", "lead__mobile_phone"
        )
    )
    assert len(rows) == Lead.objects.filter(state=LeadState.OPEN).count()
    assert all(score is not None for score, *_ in rows)

    def average(keep):
        return mean(score for score, *rest in rows if keep(*rest))

    strong = {
        s
        for s, effect in outcomes.EFFECTS["source"].items()
        if effect >= 2.0  # referrals, trade shows, word of mouth
    }
    weak = {s for s, effect in outcomes.EFFECTS["source"].items() if effect <= 0.7}
    assert average(lambda s, *_: s in strong) > average(lambda s, *_: s in weak) + 10
    with_phone = average(lambda _s, business, mobile: bool(business or mobile))
    without = average(lambda _s, business, mobile: not (business or mobile))
    assert with_phone > without + 5
