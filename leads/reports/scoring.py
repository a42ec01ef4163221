"""The scoring backtest: whether the lead score would have helped, measured honestly.

The model learns from the leads closed before a cut-off day and scores the leads
closed on or after it, which it has never seen; what happened to those leads is
then compared with what their scores said. Both sets are the closed leads the
viewer may see (leads.features.counted_leads: qualified or disqualified, neither
merged nor canceled), in the chosen business units, closed within the period.

- The training counts are recounted here, by the same grouped statement as the
  stored tables (leads.features.grouped_counts), and summed into one table for all
  the filtered leads: the backtest uses no business unit's own table (the live score
  does, for a unit with enough closed leads of its own).
- Each test lead is scored by leads.scoring.model.score_lead from its values as the
  stored counts read them (leads.features.lead_rows: a closed lead's engagement up
  to its close), with the administrator's settings. The score is the one people see
  (0-100); the AUC ranks by it, the calibration bands and grades group by it.
- The baseline is the simplest model worth beating: the same table restricted to the
  source (FrequencyTable.only), i.e. each lead scored by its source's own rate.
- Default cut-off: the day on which the last quarter of the period's closed leads
  begins (by close time), so the test set is about a quarter of the leads whatever
  the period's length and the unit's volume.
- The test set is at most TEST_CAP leads, the most recently closed.
- Too few: the training table short of the model's own minimum (missing_data), or
  fewer than MIN_TEST test leads, or test leads of one outcome only: a reason, no
  numbers.

Reads, whatever the number of leads: at most two for the default cut-off (a count
and one row), the grouped training count, the test count and the test leads' values.
"""

import datetime
import math
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.permissions import visible_to
from leads.features import by_scope, counted_leads, grouped_counts, lead_rows
from leads.models import ORGANISATION_SCOPE, TOTAL, Lead, LeadState
from leads.scoring.evaluation import (
    Auc,
    CalibrationBin,
    GroupRate,
    auc,
    calibration,
    rates_by_group,
)
from leads.scoring.grades import DEFAULT_THRESHOLDS, GradeThresholds, grade
from leads.scoring.model import (
    DEFAULTS,
    FrequencyTable,
    ScoringSettings,
    missing_data,
    score_lead,
)

TEST_CAP = 20_000
# The training leads, at most: the most recently closed before the cut-off. The
# page's cost then stays bounded whatever the database's size (a million leads).
TRAIN_CAP = 50_000
MIN_TEST = 30
TEST_SHARE = 0.25  # of the period's closed leads, for the default cut-off
BASELINE_FIELDS = ["source"]
BETTER, WORSE, OVERLAP = "better", "worse", "overlap"


@dataclass(frozen=True)
class Figures:
    """One model's numbers on the test leads."""

    auc: Auc
    calibration: list[CalibrationBin]  # ten score bands: 0-9, ..., 90-100
    grades: list[GroupRate]  # A-D


@dataclass(frozen=True)
class Backtest:
    cutoff: datetime.date | None  # None: no closed lead to place it by
    cutoff_chosen: bool  # True when the report chose the default
    start: datetime.date | None  # the period by close day (None: open end)
    end: datetime.date | None
    trained: FrequencyTable  # the training leads' counts, all units together
    tested: int  # test leads (after the cap)
    tested_qualified: int
    closed_after: int  # closed on or after the cut-off, before the cap
    capped: bool
    too_few: list[str]  # why there are no figures; empty when there are
    model: Figures | None = None
    baseline: Figures | None = None
    trained_capped: bool = False  # only the TRAIN_CAP most recent closes learnt from

    @property
    def verdict(self) -> str | None:
        """BETTER or WORSE when the two AUC intervals do not overlap, else
        OVERLAP; None without figures."""
        if self.model is None or self.baseline is None:
            return None
        model, baseline = self.model.auc, self.baseline.auc
        if model.low > baseline.high:
            return BETTER
        if model.high < baseline.low:
            return WORSE
        return OVERLAP


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def closed_in_period(*, user, start=None, end=None, business_unit_ids=None):
    """The closed leads of the backtest: the viewer's, in the units, closed within
    the period's days (local time; None: an open end)."""
    leads = counted_leads(visible_to(user, Lead.objects.all())).filter(
        closed_at__isnull=False
    )
    if business_unit_ids is not None:
        leads = leads.filter(business_unit_id__in=business_unit_ids)
    if start is not None:
        leads = leads.filter(closed_at__gte=_midnight(start))
    if end is not None:
        leads = leads.filter(closed_at__lt=_midnight(end + datetime.timedelta(days=1)))
    return leads.order_by()


def default_cutoff(closed) -> datetime.date | None:
    """The local day of the close that starts the last TEST_SHARE of `closed` (in
    close order); None when nothing closed. Two reads: a count and one row."""
    total = closed.count()
    if not total:
        return None
    first_tested = total - max(1, math.ceil(total * TEST_SHARE))
    closed_at = closed.order_by("closed_at", "pk").values_list("closed_at", flat=True)[
        first_tested
    ]
    return timezone.localtime(closed_at).date()


def training_table(closed) -> FrequencyTable:
    """One frequency table of the `closed` leads, every business unit together
    (the organisation's scope of by_scope)."""
    counts, totals = {}, (0, 0)
    for (scope, name, value), (q, d) in by_scope(grouped_counts(closed)).items():
        if scope != ORGANISATION_SCOPE:
            continue
        if (name, value) == TOTAL:
            totals = (q, d)
        elif q or d:
            counts[(name, value)] = (q, d)
    return FrequencyTable(counts, *totals)


def _figures(scores, outcomes, thresholds) -> Figures:
    return Figures(
        auc=auc(scores, outcomes),
        calibration=calibration([s / 100 for s in scores], outcomes),
        grades=rates_by_group([grade(s, thresholds) for s in scores], outcomes),
    )


def _scorer(table, settings, fields=None):
    """score_lead's model score from `table`, remembered per set of values (leads
    alike score alike: the baseline, which reads the source only, scores once per
    source). Values of fields outside `fields` (None: all) are left out; the
    table has no counts for them, so they could only multiply the odds by 1."""
    scores = {}

    def score(pairs):
        key = tuple(p for p in pairs if fields is None or p[0] in fields)
        if key not in scores:
            scores[key] = score_lead(key, table, settings=settings).model_score
        return scores[key]

    return score


def _test_leads(closed_after, count):
    if count <= TEST_CAP:
        return closed_after
    newest = closed_after.order_by("-closed_at", "-pk").values("pk")[:TEST_CAP]
    return Lead.objects.filter(pk__in=newest)


def scoring_backtest(
    *,
    user,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    business_unit_ids: list[int] | None = None,
    cutoff: datetime.date | None = None,
    settings: ScoringSettings = DEFAULTS,
    thresholds: GradeThresholds = DEFAULT_THRESHOLDS,
) -> Backtest:
    """Train before `cutoff` (None: the default, see the module docstring), test on
    or after it, within the period; the model's figures and the baseline's, or
    the reasons there are too few leads. Read-only."""
    closed = closed_in_period(
        user=user, start=start, end=end, business_unit_ids=business_unit_ids
    )
    chosen = cutoff is None
    if chosen:
        cutoff = default_cutoff(closed)
    result = {
        "cutoff": cutoff,
        "cutoff_chosen": chosen,
        "start": start,
        "end": end,
    }
    if cutoff is None:
        return Backtest(
            **result,
            trained=FrequencyTable({}, 0, 0),
            tested=0,
            tested_qualified=0,
            closed_after=0,
            capped=False,
            too_few=[gettext("No closed leads match these filters.")],
        )
    boundary = _midnight(cutoff)
    before = closed.filter(closed_at__lt=boundary)
    edge = list(
        before.order_by("-closed_at").values_list("closed_at", flat=True)[
            TRAIN_CAP : TRAIN_CAP + 1
        ]
    )
    if edge:
        before = before.filter(closed_at__gt=edge[0])
    result["trained_capped"] = bool(edge)
    table = training_table(before)
    after = closed.filter(closed_at__gte=boundary)
    count = after.count()
    too_few = []
    missing = missing_data(table, settings)
    if missing is not None:
        too_few.append(
            gettext("To learn from, before the cut-off: %(reason)s")
            % {"reason": _reason(missing)}
        )
    if count < MIN_TEST:
        too_few.append(
            ngettext(
                "To test on, from the cut-off: %(count)s closed lead, %(needed)s "
                "needed.",
                "To test on, from the cut-off: %(count)s closed leads, %(needed)s "
                "needed.",
                count,
            )
            % {"count": count, "needed": MIN_TEST}
        )
    rows = [] if too_few else list(lead_rows(_test_leads(after, count)))
    outcomes = [state == LeadState.QUALIFIED for _pk, _unit, state, _pairs in rows]
    qualified = sum(outcomes)
    if rows and qualified in (0, len(rows)):
        too_few.append(
            gettext(
                "To test on, from the cut-off: every lead was qualified; the "
                "comparison needs both outcomes."
            )
            if qualified
            else gettext(
                "To test on, from the cut-off: every lead was disqualified; the "
                "comparison needs both outcomes."
            )
        )
    result.update(
        trained=table,
        tested=len(rows),
        tested_qualified=qualified,
        closed_after=count,
        capped=count > TEST_CAP,
        too_few=too_few,
    )
    if too_few:
        return Backtest(**result)
    model = _scorer(table, settings)
    baseline = _scorer(table.only(BASELINE_FIELDS), settings, BASELINE_FIELDS)
    model_scores = [model(pairs) for _pk, _unit, _state, pairs in rows]
    baseline_scores = [baseline(pairs) for _pk, _unit, _state, pairs in rows]
    return Backtest(
        **result,
        model=_figures(model_scores, outcomes, thresholds),
        baseline=_figures(baseline_scores, outcomes, thresholds),
    )


def _reason(text: str) -> str:
    """missing_data's sentence without its "Not enough data yet: " opening."""
    return text.split(": ", 1)[-1]
