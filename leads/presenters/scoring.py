"""A lead's score as its page shows it (templates/jinja2/leads/partials/lead_score.html):
the number, grade, trend and pin from leads.selectors.scoring.describe_score, and
each factor as a bar of a small chart drawn by the template (inline SVG).

The chart's scale is logarithmic around 1× (the average lead): a value that
doubles the odds of qualifying draws as long a bar to the right as one that
halves them draws to the left; CHART_SPAN (8×, or 1/8×) fills a side.
"""

import math
from dataclasses import dataclass

from leads.scoring.factors import Factor, format_multiplier
from leads.scoring.grades import DECLINING, IMPROVING, STEADY
from leads.selectors.scoring import ScoreView, grade_range

CHART_SPAN = 8.0
HALF = 100  # SVG units of one side of a bar's box (viewBox 0 0 200 14)
MIN_BAR = 2  # a factor close to 1× still shows a sliver

TREND_ARROWS = {IMPROVING: "↑", STEADY: "→", DECLINING: "↓"}


@dataclass(frozen=True)
class FactorBar:
    sentence: str  # "Source is Employee Referral: qualifies 3.1× as often as average"
    label: str  # "Source is Employee Referral"
    multiplier: str  # "3.1×"
    helps: bool
    x: int  # where the bar starts, in the SVG's units
    width: int


def factor_bar(factor: Factor) -> FactorBar:
    """The factor's bar: right of the middle when it helps, left when it hurts, as
    long as its multiplier's logarithm (capped at CHART_SPAN)."""
    share = min(abs(factor.log_ratio) / math.log(CHART_SPAN), 1.0)
    width = max(MIN_BAR, round(share * HALF))
    return FactorBar(
        sentence=factor.sentence,
        label=factor.label,
        multiplier=format_multiplier(factor.multiplier),
        helps=factor.helps,
        x=HALF if factor.helps else HALF - width,
        width=width,
    )


@dataclass(frozen=True)
class ScorePanel:
    view: ScoreView
    bars: list[FactorBar]
    trend_arrow: str
    grade_floor: int | None  # the lowest score of the grade ("A: 75 and above")
    grade_ceiling: int | None


def score_panel(view: ScoreView) -> ScorePanel:
    """What the lead page's score panel prints."""
    floor = ceiling = None
    if view.grade:
        floor, ceiling = grade_range(view.grade)
    return ScorePanel(
        view=view,
        bars=[factor_bar(f) for f in view.factors],
        trend_arrow=TREND_ARROWS.get(view.trend, ""),
        grade_floor=floor,
        grade_ceiling=ceiling,
    )
