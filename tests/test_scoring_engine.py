"""The scoring engine (leads.scoring) without a database: the naive-Bayes
arithmetic (smoothing, unseen values, the organisation as fallback, not enough
data, pins), the factors' words and order, grades and trend, and the backtest's
statistics against brute-force recounts and known values."""

import math
import random
import subprocess
import sys
from itertools import product

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.scoring.evaluation import (
    auc,
    calibration,
    oracle_auc,
    rates_by_group,
    wilson_interval,
)
from leads.scoring.factors import format_multiplier, top_factors
from leads.scoring.grades import GradeThresholds, grade, trend
from leads.scoring.model import (
    ORGANISATION,
    UNIT,
    Contribution,
    FrequencyTable,
    Pin,
    ScoringSettings,
    likelihood_ratio,
    score_lead,
)

BOUNDED = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)


def table(rows, **extra):
    """A table whose totals are the sums of the first field's counts."""
    counts = {key: value for key, value in rows.items()}
    first = next(iter(counts))[0]
    qualified = sum(q for (f, _), (q, _) in counts.items() if f == first)
    disqualified = sum(d for (f, _), (_, d) in counts.items() if f == first)
    return FrequencyTable(
        counts, extra.get("q", qualified), extra.get("d", disqualified)
    )


# 100 qualified and 150 disqualified closed leads: the prior is 40%.
ORG = table(
    {
        ("source", "referral"): (40, 10),
        ("source", "web"): (60, 140),
        ("phone", "present"): (90, 100),
        ("phone", "missing"): (10, 50),
    }
)


# --- the model -----------------------------------------------------------------


def test_likelihood_ratio_is_the_smoothed_odds_over_the_fields_odds():
    """LR = (q + α·Q/N) / (d + α·D/N) · D/Q, here (40.04 / 10.06) · 1.5."""
    assert likelihood_ratio(ORG, "source", "referral", 0.1) == pytest.approx(
        40.04 / 10.06 * 1.5
    )
    # Without smoothing it would be P(v|Q)/P(v|D) = 0.40 / (10/150) = 6.
    assert likelihood_ratio(ORG, "source", "referral", 1e-9) == pytest.approx(6)
    # Heavy smoothing pulls every value towards the average (1×).
    assert likelihood_ratio(ORG, "source", "referral", 1e9) == pytest.approx(1)


def test_smoothing_keeps_a_value_seen_with_one_outcome_finite():
    only_qualified = table({("source", "fair"): (3, 0), ("source", "web"): (97, 150)})
    ratio = likelihood_ratio(only_qualified, "source", "fair", 0.1)
    assert math.isfinite(ratio) and ratio > 1
    never = table({("source", "spam"): (0, 5), ("source", "web"): (100, 145)})
    assert 0 < likelihood_ratio(never, "source", "spam", 0.1) < 1


def test_an_unseen_value_is_exactly_neutral():
    assert likelihood_ratio(ORG, "source", "trade show", 0.1) == 1.0
    assert likelihood_ratio(ORG, "industry", "retail", 0.1) == 1.0  # unseen field
    result = score_lead({"source": "trade show", "industry": "retail"}, ORG)
    assert [c.log_ratio for c in result.contributions] == [0.0, 0.0]
    assert result.log_odds == result.prior_log_odds == math.log(100 / 150)
    assert result.probability == pytest.approx(0.4)
    assert result.model_score == 40


def test_score_adds_the_log_ratios_to_the_prior_log_odds():
    result = score_lead({"source": "referral", "phone": "missing"}, ORG)
    expected = (
        math.log(100 / 150)
        + math.log(likelihood_ratio(ORG, "source", "referral"))
        + math.log(likelihood_ratio(ORG, "phone", "missing"))
    )
    assert result.log_odds == pytest.approx(expected)
    assert result.probability == pytest.approx(1 / (1 + math.exp(-expected)))
    assert result.model_score == result.score == round(100 * result.probability)
    assert result.enough_data and not result.pinned and result.scope == ORGANISATION


def test_a_big_enough_unit_uses_its_own_table_else_the_organisation():
    unit = table({("source", "referral"): (5, 95), ("source", "web"): (20, 80)})
    assert unit.closed == 200
    own = score_lead({"source": "referral"}, ORG, unit=unit)
    assert own.scope == UNIT and own.prior_log_odds == math.log(25 / 175)
    assert own.contributions[0].qualified == 5

    small = table({("source", "referral"): (5, 94), ("source", "web"): (20, 80)})
    fallback = score_lead({"source": "referral"}, ORG, unit=small)
    assert fallback.scope == ORGANISATION
    assert fallback.probability == score_lead({"source": "referral"}, ORG).probability

    lopsided = table({("source", "web"): (10, 290)})  # too few qualified
    assert score_lead({"source": "web"}, ORG, unit=lopsided).scope == ORGANISATION
    lower = ScoringSettings(min_unit_closed=100, min_closed=100)
    assert score_lead({"source": "web"}, ORG, unit=small, settings=lower).scope == UNIT


@pytest.mark.parametrize(
    ("qualified", "disqualified", "words"),
    [
        (100, 99, "199 closed leads, 200 needed"),
        (19, 300, "19 qualified leads, at least 20 of each outcome"),
        (400, 19, "19 disqualified leads, at least 20 of each outcome"),
    ],
)
def test_not_enough_data_gives_a_reason_and_no_number(qualified, disqualified, words):
    small = FrequencyTable(
        {("source", "web"): (qualified, disqualified)}, qualified, disqualified
    )
    result = score_lead({"source": "web"}, small)
    assert not result.enough_data and words in result.missing
    assert result.missing.startswith("Not enough data yet")
    assert result.score is None and result.probability is None
    assert result.contributions == ()


def test_exactly_the_minimum_is_enough():
    edge = FrequencyTable({("source", "web"): (20, 180)}, 20, 180)
    assert score_lead({"source": "web"}, edge).score == 10


def test_a_pinned_score_says_so_and_keeps_the_models():
    pin = Pin(90, "The CFO called us")
    result = score_lead({"source": "web"}, ORG, pin=pin)
    assert result.pinned and result.score == 90 and result.pin.reason
    assert result.model_score == score_lead({"source": "web"}, ORG).model_score != 90
    small = FrequencyTable({("source", "web"): (5, 5)}, 5, 5)
    unscored = score_lead({"source": "web"}, small, pin=pin)
    assert unscored.score == 90 and unscored.model_score is None
    assert not unscored.enough_data


@pytest.mark.parametrize(
    ("score", "reason"), [(101, "x"), (-1, "x"), (True, "x"), (50.5, "x"), (50, " ")]
)
def test_an_invalid_pin_is_refused(score, reason):
    with pytest.raises(ValueError):
        Pin(score, reason)


def test_settings_are_validated():
    for bad in ({"alpha": 0}, {"alpha": float("nan")}, {"min_each": 0}):
        with pytest.raises(ValueError):
            ScoringSettings(**bad)


def test_the_baseline_table_scores_by_the_source_alone():
    """Restricted to the source, a lead's probability is close to its source's rate."""
    baseline = ORG.only(["source"])
    result = score_lead({"source": "referral", "phone": "missing"}, baseline)
    assert result.probability == pytest.approx(40 / 50, abs=0.005)


# --- factors ---------------------------------------------------------------------


def contribution(field, value, multiplier):
    return Contribution(field, value, math.log(multiplier), 0, 0)


def test_factors_are_ordered_by_how_far_they_move_and_worded_for_a_rep():
    contributions = [
        contribution("rating", "warm", 1.1),
        contribution("source", 8, 3.1),
        contribution("activity", "none", 0.4),
        contribution("country", "unseen", 1.0),
        contribution("industry", 3, 1.6),
        contribution("phone", "missing", 1.05),
    ]
    labels = {
        ("source", 8): "Source is Employee Referral",
        ("activity", "none"): "No activity in the first 3 days",
    }
    factors = top_factors(contributions, labels, {"industry": "Industry"})
    assert [f.field for f in factors] == ["source", "activity", "industry"]
    assert factors[0].sentence == (
        "Source is Employee Referral: qualifies 3.1× as often as average"
    )
    assert factors[1].short == "No activity in the first 3 days: 0.4×"
    assert not factors[1].helps and factors[0].helps
    assert factors[2].label == "Industry is 3"


def test_a_fourth_and_fifth_factor_only_when_notable_and_never_a_neutral_one():
    many = [contribution(f"f{i}", i, m) for i, m in enumerate([5, 4, 0.15, 1.3, 1.2])]
    assert [f.field for f in top_factors(many)] == ["f2", "f0", "f1", "f3"]
    strong = many + [contribution("g", 0, 0.5), contribution("h", 0, 1.5)]
    assert len(top_factors(strong)) == 5
    assert top_factors([contribution("x", 1, 1.0)]) == []
    assert top_factors([contribution("f", 1, 1.02)], field_labels={"f": "Budget"})[
        0
    ].short == ("Budget is 1: 1.02×")


def test_multipliers_read_naturally():
    assert [format_multiplier(m) for m in (3.14, 0.4, 12.6, 0.043, 0.97)] == [
        "3.1×",
        "0.4×",
        "13×",
        "0.043×",
        "0.97×",
    ]


# --- grades and trend -------------------------------------------------------------


def test_grades_by_default_thresholds():
    assert [grade(s) for s in (100, 75, 74, 50, 49, 25, 24, 0, None)] == [
        "A", "A", "B", "B", "C", "C", "D", "D", None,
    ]  # fmt: skip
    custom = GradeThresholds(a=90, b=60, c=0)
    assert [grade(s, custom) for s in (90, 89, 59, 0)] == ["A", "B", "C", "C"]


@pytest.mark.parametrize(
    "thresholds",
    [(50, 50, 25), (75, 80, 25), (75, 50, 60), (101, 50, 25), (75, 50, -1),
     (75.5, 50, 25), (True, 0, 0)],
)  # fmt: skip
def test_thresholds_must_decrease_strictly_within_0_to_100(thresholds):
    with pytest.raises(ValueError):
        GradeThresholds(*thresholds)


def test_trend_has_a_dead_band():
    assert trend(66, 60) == "improving"
    assert trend(65, 60) == trend(55, 60) == trend(60, 60) == "steady"
    assert trend(54, 60) == "declining"
    assert trend(62, 60, dead_band=1) == "improving"
    assert trend(60, None) is None and trend(None, 60) is None
    with pytest.raises(ValueError):
        trend(1, 2, dead_band=-1)


# --- evaluation ------------------------------------------------------------------


def brute_auc(scores, outcomes):
    pairs = [
        1.0 if p > n else 0.5 if p == n else 0.0
        for p, o1 in zip(scores, outcomes, strict=True)
        for n, o2 in zip(scores, outcomes, strict=True)
        if o1 and not o2
    ]
    return sum(pairs) / len(pairs)


def test_auc_on_known_small_examples():
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]).value == 0.75
    assert auc([1, 2, 3], [False, True, True]).value == 1.0
    assert auc([3, 2, 1], [False, True, True]).value == 0.0
    assert auc([5, 5, 5, 5], [True, False, True, False]).value == 0.5  # all ties


def test_auc_equals_a_brute_force_pair_count_with_ties():
    rng = random.Random(22)
    for _ in range(50):
        n = rng.randint(2, 40)
        scores = [rng.randint(0, 6) for _ in range(n)]
        outcomes = [rng.random() < 0.4 for _ in range(n)]
        if all(outcomes) or not any(outcomes):
            continue
        result = auc(scores, outcomes)
        assert result.value == pytest.approx(brute_auc(scores, outcomes))
        assert result.low <= result.value <= result.high
        assert result.qualified == sum(outcomes)


def test_auc_interval_is_hanley_mcneil():
    result = auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True])
    a, n1, n2 = 0.75, 2, 2
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = math.sqrt(
        (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n2 - 1) * (q2 - a * a)) / 4
    )
    assert result.standard_error == pytest.approx(se)
    assert result.low == pytest.approx(max(0, a - 1.96 * se), abs=1e-3)
    assert result.high == 1.0  # clipped


def test_auc_of_degenerate_inputs_says_why():
    assert auc([], []).value is None and "No closed leads" in auc([], []).reason
    everyone = auc([1, 2], [True, True])
    assert everyone.value is None and "qualified" in everyone.reason
    assert "disqualified" in auc([1, 2], [False, False]).reason
    with pytest.raises(ValueError):
        auc([1, 2], [True])


def test_wilson_interval_known_values():
    low, high = wilson_interval(0, 10)
    assert (low, round(high, 4)) == (0.0, 0.2775)
    assert tuple(round(x, 4) for x in wilson_interval(5, 10)) == (0.2366, 0.7634)
    low, high = wilson_interval(10, 10)
    assert (round(low, 4), high) == (0.7225, 1.0)
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_rates_by_grade_list_every_grade_with_its_interval():
    grades = ["A", "A", "A", "B", "D", None]
    outcomes = [True, True, False, False, False, True]
    rows = {row.group: row for row in rates_by_group(grades, outcomes)}
    assert list(rows) == ["A", "B", "C", "D"]
    assert (rows["A"].count, rows["A"].qualified) == (3, 2)
    assert rows["A"].rate == pytest.approx(2 / 3)
    assert (rows["A"].low, rows["A"].high) == wilson_interval(2, 3)
    assert rows["C"].count == 0 and rows["C"].rate is None and rows["C"].low is None


def test_calibration_bins_by_probability_band():
    probabilities = [0.05, 0.07, 0.55, 0.58, 0.95, 1.0]
    outcomes = [False, True, True, True, True, True]
    bins = calibration(probabilities, outcomes)
    assert len(bins) == 10
    assert [b.count for b in bins] == [2, 0, 0, 0, 0, 2, 0, 0, 0, 2]
    assert bins[0].mean_predicted == pytest.approx(0.06)
    assert bins[0].observed_rate == 0.5
    assert bins[1].mean_predicted is None and bins[1].observed_rate is None
    assert (bins[9].low, bins[9].high) == (0.9, 1.0)  # 1.0 falls in the last band
    with pytest.raises(ValueError):
        calibration([1.2], [True])


def brute_oracle(ps):
    concordant = total = 0.0
    for i, j in product(range(len(ps)), repeat=2):
        if i != j:
            weight = ps[i] * (1 - ps[j])
            total += weight
            concordant += weight * (
                1 if ps[i] > ps[j] else 0.5 if ps[i] == ps[j] else 0
            )
    return concordant / total


def test_oracle_auc_equals_the_brute_force_expectation():
    rng = random.Random(7)
    for _ in range(30):
        ps = [
            rng.choice([0.0, 0.1, 0.3, 0.3, 0.7, 1.0])
            for _ in range(rng.randint(2, 12))
        ]
        expected = oracle_auc(ps)
        if expected is None:
            assert all(p == ps[0] and p in (0, 1) for p in ps) or len(ps) < 2
            continue
        assert expected == pytest.approx(brute_oracle(ps))
    assert oracle_auc([0.5]) is None and oracle_auc([0, 0, 0]) is None
    assert oracle_auc([0.2, 0.2, 0.2]) == pytest.approx(0.5)


def test_oracle_auc_is_what_scoring_by_the_true_probability_reaches():
    rng = random.Random(3)
    ps = [rng.choice([0.1, 0.2, 0.4, 0.7]) for _ in range(4000)]
    outcomes = [rng.random() < p for p in ps]
    assert auc(ps, outcomes).value == pytest.approx(oracle_auc(ps), abs=0.02)


# --- properties ------------------------------------------------------------------

counts = st.tuples(st.integers(0, 500), st.integers(0, 500))
tables = st.dictionaries(
    st.tuples(st.sampled_from(["source", "rating", "phone"]), st.integers(0, 4)),
    counts,
    min_size=1,
    max_size=12,
)


@BOUNDED
@given(
    tables,
    st.integers(20, 5000),
    st.integers(20, 5000),
    st.dictionaries(st.sampled_from(["source", "rating", "phone"]), st.integers(0, 5)),
    st.floats(0.001, 50),
)
def test_the_score_is_always_between_0_and_100(rows, q, d, values, alpha):
    result = score_lead(
        values,
        FrequencyTable(rows, q, d),
        settings=ScoringSettings(alpha=alpha, min_closed=40),
    )
    assert 0 <= result.model_score <= 100 and 0 <= result.probability <= 1


@BOUNDED
@given(tables, st.integers(0, 4), st.floats(0.001, 50))
def test_a_qualified_lead_with_a_value_never_lowers_its_factor(rows, value, alpha):
    before = FrequencyTable(rows, 1000, 1000)
    key = ("source", value)
    q, d = rows.get(key, (0, 0))
    after = FrequencyTable({**rows, key: (q + 1, d)}, 1001, 1000)
    old = likelihood_ratio(before, "source", value, alpha)
    new = likelihood_ratio(after, "source", value, alpha)
    assert new >= old * (1 - 1e-12)


# --- boundaries -------------------------------------------------------------------


def test_scoring_engine_imports_no_django_and_no_models():
    """The models may import the engine: the engine imports nothing of ours or Django's."""
    code = (
        "import sys, leads.scoring.model, leads.scoring.factors, "
        "leads.scoring.grades, leads.scoring.evaluation; "
        "print(sorted(m for m in sys.modules if m.startswith(('leads.', 'accounts', 'django'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "leads.models" not in loaded and "accounts" not in loaded
    assert "django" not in loaded
