"""The naive-Bayes lead score from frequency tables.

A frequency table holds, for one scope (a business unit or the organisation), the
closed leads' counts per (field, value): (qualified, disqualified), and the totals
Q and D of qualified and disqualified closed leads. Merged and canceled leads are
not closed leads here: the caller leaves them out.

The score of a lead, in log-odds:

    log-odds = log(Q / D) + Σ over the lead's fields f of log LR_f(v)

where v is the lead's value of f and LR_f(v) = P(v | qualified) / P(v | disqualified)
is the value's likelihood ratio: how many times the odds of qualifying are
multiplied by having v, relative to the average lead. Then p = 1 / (1 + e^-log-odds)
and score = ⌊100 · p + 0.5⌋ (halves round up).

Smoothing (additive, α pseudo-leads per value, default 0.1 as Odoo). For field f
with Q_f qualified and D_f disqualified leads counted (N_f = Q_f + D_f) over K_f
seen values, plus one slot for every value not seen yet:

    P(v | qualified)    = (q_v + α·Q_f/N_f) / (Q_f + α·Q_f/N_f · (K_f + 1))
    P(v | disqualified) = (d_v + α·D_f/N_f) / (D_f + α·D_f/N_f · (K_f + 1))

Each value's α pseudo-leads are split between the outcomes in the field's own
proportion, so the smoothing pulls a rarely seen value towards the average, and a
value never seen (q_v = d_v = 0) has LR exactly 1: it contributes 0, neutral. (With
α on both sides alike, an unseen value would count against the rarer outcome.) The
normalisers cancel in the ratio, which is therefore

    LR_f(v) = (q_v + α·Q_f/N_f) / (d_v + α·D_f/N_f) · D_f / Q_f

A field whose counted leads are all of one outcome (Q_f = 0 or D_f = 0) cannot
compare the outcomes and contributes 0.

Fallback: a business unit's table is used when the unit has at least
`min_unit_closed` closed leads (default MIN_UNIT_CLOSED = 200) and at least
`min_each` of each outcome; otherwise the organisation's table is used, whole
(counts and totals together, never mixed: mixing one scope's counts with another's
totals would not be a distribution).

Not enough data: the chosen table has fewer than `min_closed` closed leads (default
200) or fewer than `min_each` (default 20) of either outcome → no number, a reason.

A person may pin a score with a reason: the pinned score is the lead's score, and
the result keeps the model's own score beside it for reference.
"""

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from leads.scoring.words import gettext

ALPHA = 0.1
MIN_CLOSED = 200
MIN_EACH = 20
MIN_UNIT_CLOSED = 200

UNIT, ORGANISATION = "unit", "organisation"


@dataclass(frozen=True)
class ScoringSettings:
    """The model's knobs, validated (ValueError) when made."""

    alpha: float = ALPHA
    min_closed: int = MIN_CLOSED
    min_each: int = MIN_EACH
    min_unit_closed: int = MIN_UNIT_CLOSED

    def __post_init__(self):
        if not (isinstance(self.alpha, int | float) and math.isfinite(self.alpha)):
            raise ValueError("The smoothing α is a number.")
        if self.alpha <= 0:
            raise ValueError("The smoothing α is greater than 0.")
        for name in ("min_closed", "min_each", "min_unit_closed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} is a whole number of at least 1.")


DEFAULTS = ScoringSettings()


@dataclass(frozen=True)
class FieldTotals:
    """One field's counts summed over its values: Q_f, D_f and K_f (seen values)."""

    qualified: int
    disqualified: int
    seen: int


@dataclass(frozen=True)
class FrequencyTable:
    """Closed leads of one scope: (field, value) → (qualified, disqualified) counts,
    and the scope's totals of qualified and disqualified closed leads."""

    counts: Mapping[tuple[str, Hashable], tuple[int, int]]
    qualified: int
    disqualified: int

    def __post_init__(self):
        if self.qualified < 0 or self.disqualified < 0:
            raise ValueError("Totals are not negative.")
        for key, (q, d) in self.counts.items():
            if q < 0 or d < 0:
                raise ValueError(f"The counts of {key!r} are not negative.")

    @property
    def closed(self) -> int:
        return self.qualified + self.disqualified

    @cached_property
    def fields(self) -> dict[str, FieldTotals]:
        """Each field's totals, summed once per table (a table serves many leads)."""
        sums: dict[str, list[int]] = {}
        for (name, _value), (q, d) in self.counts.items():
            if q or d:
                row = sums.setdefault(name, [0, 0, 0])
                row[0] += q
                row[1] += d
                row[2] += 1
        return {name: FieldTotals(*row) for name, row in sums.items()}

    def only(self, fields: Iterable[str]) -> "FrequencyTable":
        """The same table restricted to `fields`: with ["source"] it is the
        backtest's baseline (a lead scored by its source's own rate)."""
        keep = set(fields)
        return FrequencyTable(
            {key: value for key, value in self.counts.items() if key[0] in keep},
            self.qualified,
            self.disqualified,
        )


def likelihood_ratio(
    table: FrequencyTable, name: str, value: Hashable, alpha: float = ALPHA
) -> float:
    """LR_f(v) of the module docstring: 1.0 for an unseen value or a field that
    cannot compare the outcomes."""
    totals = table.fields.get(name)
    if totals is None or not totals.qualified or not totals.disqualified:
        return 1.0
    q, d = table.counts.get((name, value), (0, 0))
    if not q and not d:
        return 1.0  # what the formula gives, without the rounding of floats
    n = totals.qualified + totals.disqualified
    return (
        (q + alpha * totals.qualified / n)
        / (d + alpha * totals.disqualified / n)
        * totals.disqualified
        / totals.qualified
    )


def missing_data(table: FrequencyTable, settings: ScoringSettings = DEFAULTS):
    """Why `table` is too small to score from, in words, or None when it is not."""
    if table.closed < settings.min_closed:
        return gettext(
            "Not enough data yet: %(closed)s closed leads, %(needed)s needed."
        ) % {"closed": table.closed, "needed": settings.min_closed}
    fewest = min(table.qualified, table.disqualified)
    if fewest < settings.min_each:
        message = (
            gettext(
                "Not enough data yet: %(count)s qualified leads, at least "
                "%(needed)s of each outcome needed."
            )
            if table.qualified < table.disqualified
            else gettext(
                "Not enough data yet: %(count)s disqualified leads, at least "
                "%(needed)s of each outcome needed."
            )
        )
        return message % {"count": fewest, "needed": settings.min_each}
    return None


def choose_table(
    unit: FrequencyTable | None,
    organisation: FrequencyTable,
    settings: ScoringSettings = DEFAULTS,
) -> tuple[FrequencyTable, str]:
    """(table, UNIT or ORGANISATION): the unit's own table when it has at least
    min_unit_closed closed leads and min_each of each outcome, else the
    organisation's."""
    if (
        unit is not None
        and unit.closed >= settings.min_unit_closed
        and min(unit.qualified, unit.disqualified) >= settings.min_each
    ):
        return unit, UNIT
    return organisation, ORGANISATION


@dataclass(frozen=True)
class Pin:
    """A score a person set by hand, with their reason (ValueError when invalid)."""

    score: int
    reason: str

    def __post_init__(self):
        if isinstance(self.score, bool) or not isinstance(self.score, int):
            raise ValueError(gettext("A pinned score is a whole number."))
        if not 0 <= self.score <= 100:
            raise ValueError(gettext("A pinned score is between 0 and 100."))
        if not str(self.reason or "").strip():
            raise ValueError(gettext("Say why the score is pinned."))


@dataclass(frozen=True)
class Contribution:
    """What one of the lead's values adds to its log-odds (log LR; 0 is neutral)."""

    field: str
    value: Hashable
    log_ratio: float
    qualified: int  # the value's counts in the table used
    disqualified: int

    @property
    def multiplier(self) -> float:
        """By how much the value multiplies the odds of qualifying (e^log_ratio)."""
        return math.exp(self.log_ratio)


@dataclass(frozen=True)
class LeadScore:
    """One lead's score. `score` is what to show and sort by: the pinned score, else
    the model's; None when the model has not enough data and nobody pinned one."""

    scope: str  # UNIT or ORGANISATION: whose table was used
    missing: str | None = None  # why there is no model score ("not enough data")
    probability: float | None = None  # the model's probability of qualifying
    model_score: int | None = None  # 100 · probability, halves up
    prior_log_odds: float | None = None
    log_odds: float | None = None
    contributions: tuple[Contribution, ...] = field(default_factory=tuple)
    pin: Pin | None = None

    @property
    def enough_data(self) -> bool:
        return self.missing is None

    @property
    def pinned(self) -> bool:
        return self.pin is not None

    @property
    def score(self) -> int | None:
        return self.pin.score if self.pin is not None else self.model_score


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _pairs(values) -> list[tuple[str, Hashable]]:
    pairs = values.items() if isinstance(values, Mapping) else values
    return list(dict.fromkeys(pairs))  # each (field, value) once, in order


def score_lead(
    values: Mapping[str, Hashable] | Iterable[tuple[str, Hashable]],
    organisation: FrequencyTable,
    unit: FrequencyTable | None = None,
    settings: ScoringSettings = DEFAULTS,
    pin: Pin | None = None,
) -> LeadScore:
    """Score a lead from its (field, value) pairs (a mapping field → value, or the
    pairs), with the unit's table or the organisation's (choose_table)."""
    table, scope = choose_table(unit, organisation, settings)
    missing = missing_data(table, settings)
    if missing is not None:
        return LeadScore(scope=scope, missing=missing, pin=pin)
    prior = math.log(table.qualified / table.disqualified)
    contributions = []
    for name, value in _pairs(values):
        q, d = table.counts.get((name, value), (0, 0))
        ratio = likelihood_ratio(table, name, value, settings.alpha)
        contributions.append(Contribution(name, value, math.log(ratio), q, d))
    log_odds = prior + math.fsum(c.log_ratio for c in contributions)
    probability = _sigmoid(log_odds)
    return LeadScore(
        scope=scope,
        probability=probability,
        model_score=math.floor(100 * probability + 0.5),
        prior_log_odds=prior,
        log_odds=log_odds,
        contributions=tuple(contributions),
        pin=pin,
    )
