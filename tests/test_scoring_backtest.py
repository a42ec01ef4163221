"""The scoring backtest page: its AUC, calibration and grade rates equal a naive
Bayes, an AUC and Wilson intervals computed here in plain Python; the "too few"
message; the period, business unit and cut-off; the viewer's scope; the cap on the
test set; a constant number of queries."""

import datetime
import math
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.models import LeadRating, LeadSource, LeadState, LeadStatus
from leads.reports import scoring as backtest_module
from leads.selectors.scoring import forget_tables
from leads.services.scoring import save_scoring_config
from tests import factories
from tests.support import JUNK

URL = "/reports/scoring/"
D = datetime.timedelta(days=1)
ALPHA = 0.1
Z = 1.959963984540054
SOURCES = [LeadSource.WEB, LeadSource.PARTNER, LeadSource.SEMINAR, LeadSource.OTHER]
RATINGS = [LeadRating.HOT, LeadRating.WARM, LeadRating.COLD]
# Thresholds and minimums an administrator set (not the defaults).
GRADE_A, GRADE_B, GRADE_C = 70, 45, 20


def noon(days_ago):
    today = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time(12)))


@pytest.fixture
def settings_saved(administrator):
    forget_tables()
    save_scoring_config(
        by=administrator,
        min_closed=40,
        min_each=5,
        grade_a=GRADE_A,
        grade_b=GRADE_B,
        grade_c=GRADE_C,
    )
    yield
    forget_tables()  # the process keeps the settings: leave none behind


def closed_lead(owner, days_ago, qualified, source, rating, decision_maker):
    """A lead closed at noon `days_ago` days ago, created five days before (no
    activity: its first contact is "none", like every other lead here)."""
    closed_at = noon(days_ago)
    return factories.LeadFactory(
        owner_user=owner,
        created_at=closed_at - 5 * D,
        closed_at=closed_at,
        state=LeadState.QUALIFIED if qualified else LeadState.DISQUALIFIED,
        status=LeadStatus.QUALIFIED if qualified else LeadStatus.LOST,
        qualified_at=closed_at if qualified else None,
        source=source,
        rating=rating,
        decision_maker=decision_maker,
    )


def make_leads(owner, count, days, seed):
    """`count` closed leads of `owner`, closed over `days` (days ago, oldest
    first), whose chance of qualifying rises with a hot rating, a decision maker
    and a partner source."""
    rng = random.Random(seed)
    made = []
    for i in range(count):
        source = rng.choice(SOURCES)
        rating = rng.choice(RATINGS)
        maker = rng.random() < 0.5
        chance = 0.15 + 0.3 * (rating == LeadRating.HOT) + 0.2 * maker
        chance += 0.2 * (source == LeadSource.PARTNER)
        days_ago = days[0] - (days[0] - days[1]) * i // max(count - 1, 1)
        made.append(
            closed_lead(owner, days_ago, rng.random() < chance, source, rating, maker)
        )
    return made


@pytest.fixture
def history(rep, settings_saved):
    """120 leads closed 100 to 31 days ago and 60 closed 30 to 1 days ago."""
    return make_leads(rep, 120, (100, 31), seed=1), make_leads(rep, 60, (30, 1), seed=2)


# --- The same numbers, computed here -------------------------------------------------


def features(lead, fields):
    """The lead's values of `fields`. Every other feature has one value for every
    lead here (no campaign, same country, valid email and phone, no activity...),
    and a value all leads share multiplies the odds by exactly 1."""
    values = {
        "source": str(lead.source),
        "rating": str(lead.rating),
        "decision_maker": "yes" if lead.decision_maker else "no",
    }
    return [(name, values[name]) for name in fields]


def naive_bayes(training, lead, fields):
    """The score 0-100 by the model's formula, from the training leads."""
    qualified = [t for t in training if t.state == LeadState.QUALIFIED]
    q_total, d_total = len(qualified), len(training) - len(qualified)
    log_odds = math.log(q_total / d_total)
    for name, value in features(lead, fields):
        q = sum(1 for t in qualified if dict(features(t, fields))[name] == value)
        d = sum(
            1
            for t in training
            if t.state != LeadState.QUALIFIED
            and dict(features(t, fields))[name] == value
        )
        if q or d:
            n = q_total + d_total
            ratio = (q + ALPHA * q_total / n) / (d + ALPHA * d_total / n)
            log_odds += math.log(ratio * d_total / q_total)
    p = 1 / (1 + math.exp(-log_odds))
    return math.floor(100 * p + 0.5)


def pairwise_auc(scores, outcomes):
    """Share of (qualified, disqualified) pairs ranked right, ties half."""
    pos = [s for s, o in zip(scores, outcomes, strict=True) if o]
    neg = [s for s, o in zip(scores, outcomes, strict=True) if not o]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def wilson(k, n):
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)


def letter(score):
    if score >= GRADE_A:
        return "A"
    if score >= GRADE_B:
        return "B"
    return "C" if score >= GRADE_C else "D"


def expected(training, tested, fields):
    scores = [naive_bayes(training, lead, fields) for lead in tested]
    outcomes = [lead.state == LeadState.QUALIFIED for lead in tested]
    bands = {}
    grades = {}
    for score, outcome in zip(scores, outcomes, strict=True):
        bands.setdefault(min(score // 10, 9), []).append((score, outcome))
        grades.setdefault(letter(score), []).append(outcome)
    return scores, outcomes, bands, grades


def assert_figures(figures, training, tested, fields):
    scores, outcomes, bands, grades = expected(training, tested, fields)
    assert figures.auc.value == pytest.approx(pairwise_auc(scores, outcomes))
    assert figures.auc.low < figures.auc.value < figures.auc.high
    for index, band in enumerate(figures.calibration):
        members = bands.get(index, [])
        assert band.count == len(members)
        if members:
            mean = sum(s for s, _ in members) / len(members) / 100
            assert band.mean_predicted == pytest.approx(mean)
            rate = sum(o for _, o in members) / len(members)
            assert band.observed_rate == pytest.approx(rate)
    for row in figures.grades:
        members = grades.get(row.group, [])
        assert (row.count, row.qualified) == (len(members), sum(members))
        if members:
            low, high = wilson(sum(members), len(members))
            assert (row.low, row.high) == (pytest.approx(low), pytest.approx(high))


# --- The page ----------------------------------------------------------------------


def test_page_numbers_equal_an_independent_computation(manager_client, history):
    training, tested = history
    cutoff = timezone.localdate() - 30 * D
    response = manager_client.get(URL, {"cutoff": cutoff.isoformat()})
    assert response.status_code == 200
    backtest = response.context["backtest"]
    assert backtest.too_few == []
    assert (backtest.trained.closed, backtest.tested) == (120, 60)
    assert_figures(
        backtest.model, training, tested, ["source", "rating", "decision_maker"]
    )
    assert_figures(backtest.baseline, training, tested, ["source"])
    html = response.content.decode()
    assert f"{backtest.model.auc.value:.3f}" in html
    assert f"{backtest.baseline.auc.value:.3f}" in html
    assert 'id="scoring-report-verdict"' in html
    assert "scoring-chart" in html


def test_the_verdict_follows_the_intervals(manager_client, history):
    cutoff = timezone.localdate() - 30 * D
    backtest = manager_client.get(URL, {"cutoff": cutoff.isoformat()}).context[
        "backtest"
    ]
    model, baseline = backtest.model.auc, backtest.baseline.auc
    if model.low > baseline.high:
        assert backtest.verdict == "better"
    elif model.high < baseline.low:
        assert backtest.verdict == "worse"
    else:
        assert backtest.verdict == "overlap"


def test_default_cutoff_leaves_the_last_quarter_to_test(manager_client, history):
    training, tested = history
    closes = sorted(lead.closed_at for lead in training + tested)
    first_tested = closes[len(closes) - math.ceil(len(closes) / 4)]
    day = timezone.localtime(first_tested).date()
    backtest = manager_client.get(URL).context["backtest"]
    assert backtest.cutoff == day
    assert backtest.cutoff_chosen
    before = [
        lead
        for lead in training + tested
        if lead.closed_at.astimezone(timezone.get_current_timezone()).date() < day
    ]
    after = [
        lead
        for lead in training + tested
        if lead.closed_at.astimezone(timezone.get_current_timezone()).date() >= day
    ]
    assert (backtest.trained.closed, backtest.tested) == (len(before), len(after))
    assert_figures(
        backtest.model, before, after, ["source", "rating", "decision_maker"]
    )


def test_too_few_closed_leads_says_so_instead_of_drawing(manager_client, rep):
    forget_tables()  # the default settings: 200 closed leads needed
    make_leads(rep, 50, (60, 1), seed=3)
    response = manager_client.get(URL)
    html = response.content.decode()
    assert "Too few closed leads to backtest" in html
    assert "200 needed" in html
    assert "scoring-chart" not in html
    assert response.context["backtest"].model is None


def test_too_few_test_leads(manager_client, rep, settings_saved):
    make_leads(rep, 60, (100, 31), seed=4)
    make_leads(rep, 10, (20, 1), seed=5)
    cutoff = timezone.localdate() - 30 * D
    response = manager_client.get(URL, {"cutoff": cutoff.isoformat()})
    html = response.content.decode()
    assert "Too few closed leads to backtest" in html
    assert "10 closed leads, 30 needed" in html
    assert "scoring-chart" not in html


def test_period_and_business_unit_change_the_numbers(
    client, administrator, rep, rep2, history
):
    client.force_login(administrator)
    cutoff = (timezone.localdate() - 30 * D).isoformat()
    everything = client.get(URL, {"cutoff": cutoff}).context["backtest"]
    make_leads(rep2, 50, (100, 31), seed=6)
    south_tested = make_leads(rep2, 40, (30, 1), seed=7)
    with_south = client.get(URL, {"cutoff": cutoff}).context["backtest"]
    assert (with_south.trained.closed, with_south.tested) == (170, 100)
    north = client.get(
        URL, {"cutoff": cutoff, "business_unit": rep.business_unit_id}
    ).context["backtest"]
    assert (north.trained.closed, north.tested) == (120, 60)
    assert north.model.auc.value == pytest.approx(everything.model.auc.value)
    south = client.get(
        URL, {"cutoff": cutoff, "business_unit": rep2.business_unit_id}
    ).context["backtest"]
    assert (south.trained.closed, south.tested) == (50, len(south_tested))
    # A shorter period: training starts 60 days ago, testing ends 10 days ago.
    period = {
        "closed_from": (timezone.localdate() - 60 * D).isoformat(),
        "closed_to": (timezone.localdate() - 10 * D).isoformat(),
        "business_unit": rep.business_unit_id,
        "cutoff": cutoff,
    }
    shorter = client.get(URL, period).context["backtest"]
    training, tested = history
    start, end = timezone.localdate() - 60 * D, timezone.localdate() - 10 * D
    kept = [
        t
        for t in training
        if t.closed_at.astimezone(timezone.get_current_timezone()).date() >= start
    ]
    tested_kept = [
        t
        for t in tested
        if t.closed_at.astimezone(timezone.get_current_timezone()).date() <= end
    ]
    assert (shorter.trained.closed, shorter.tested) == (len(kept), len(tested_kept))
    assert_figures(
        shorter.model, kept, tested_kept, ["source", "rating", "decision_maker"]
    )


def test_a_cutoff_outside_the_period_is_a_form_error(manager_client, history):
    response = manager_client.get(
        URL,
        {
            "closed_from": (timezone.localdate() - 20 * D).isoformat(),
            "cutoff": (timezone.localdate() - 40 * D).isoformat(),
        },
    )
    assert response.context["form"].errors["cutoff"]
    assert response.context["backtest"] is None
    assert 'id="scoring-report-invalid"' in response.content.decode()


def test_leads_outside_the_viewers_scope_do_not_count(
    client, rep, rep2, manager, history
):
    make_leads(rep2, 30, (30, 1), seed=8)  # the south: no one in the north sees them
    cutoff = (timezone.localdate() - 30 * D).isoformat()
    for viewer in (rep, manager):
        client.force_login(viewer)
        backtest = client.get(URL, {"cutoff": cutoff}).context["backtest"]
        assert (backtest.trained.closed, backtest.tested) == (120, 60)
    client.force_login(rep2)
    response = client.get(URL, {"cutoff": cutoff})
    assert response.context["backtest"].trained.closed == 0
    assert "Too few closed leads to backtest" in response.content.decode()
    # Another unit in the filter is refused, as on the source report.
    response = client.get(URL, {"business_unit": rep.business_unit_id})
    assert response.context["form"].errors["business_unit"]


def test_signed_out_visitors_are_sent_to_log_in(client, history):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_test_set_is_capped_at_the_most_recent(
    manager_client, history, monkeypatch
):
    monkeypatch.setattr(backtest_module, "TEST_CAP", 40)
    _training, tested = history
    cutoff = (timezone.localdate() - 30 * D).isoformat()
    response = manager_client.get(URL, {"cutoff": cutoff})
    backtest = response.context["backtest"]
    assert (backtest.tested, backtest.closed_after, backtest.capped) == (40, 60, True)
    newest = sorted(tested, key=lambda lead: (lead.closed_at, lead.pk))[-40:]
    assert backtest.tested_qualified == sum(
        lead.state == LeadState.QUALIFIED for lead in newest
    )
    assert 'id="scoring-report-capped"' in response.content.decode()


def test_the_training_set_is_capped_at_the_most_recent(
    manager_client, history, monkeypatch, settings_saved
):
    """At most TRAIN_CAP leads learnt from, the most recently closed before the
    cut-off: the page's cost does not grow with the database."""
    training, _tested = history
    cutoff = (timezone.localdate() - 30 * D).isoformat()
    whole = manager_client.get(URL, {"cutoff": cutoff}).context["backtest"]
    assert (whole.trained.closed, whole.trained_capped) == (len(training), False)
    monkeypatch.setattr(backtest_module, "TRAIN_CAP", 50)
    response = manager_client.get(URL, {"cutoff": cutoff})
    capped = response.context["backtest"]
    newest = sorted(training, key=lambda lead: lead.closed_at)[-50:]
    assert capped.trained_capped
    # Leads closed at the edge's very moment are left out with it: at most 50.
    assert 0 < capped.trained.closed <= 50
    assert capped.trained.qualified <= sum(
        lead.state == LeadState.QUALIFIED for lead in newest
    )
    assert 'id="scoring-report-train-capped"' in response.content.decode()


def test_both_reports_link_to_each_other(manager_client, history):
    sources = manager_client.get("/reports/sources/").content.decode()
    assert 'href="/reports/scoring/"' in sources
    scoring = manager_client.get(URL).content.decode()
    assert 'href="/reports/sources/"' in scoring


def test_queries_do_not_grow_with_the_leads(
    manager_client, rep, settings_saved, django_assert_max_num_queries
):
    make_leads(rep, 100, (100, 31), seed=9)
    make_leads(rep, 40, (30, 1), seed=10)

    def page_queries():
        forget_tables()  # read the settings each time, as a fresh process does
        with CaptureQueriesContext(connection) as queries:
            response = manager_client.get(URL)
        assert response.context["backtest"].model is not None
        return len(queries)

    few = page_queries()
    make_leads(rep, 120, (100, 1), seed=11)
    assert page_queries() == few
    forget_tables()
    with django_assert_max_num_queries(14):  # the page, and the bell
        manager_client.get(URL)


def test_junk_in_the_filters_is_a_form_error_never_a_500(manager_client, rep):
    for key in ("period", "closed_from", "closed_to", "business_unit", "cutoff"):
        for value in [*JUNK, "1899-12-31", "2201-01-01"]:
            response = manager_client.get(URL, {key: value})
            assert response.status_code == 200, (key, value)
