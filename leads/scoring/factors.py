"""The values that move a lead's score most, in words a rep understands.

A factor is one of the lead's values with its likelihood ratio (model.Contribution):
the multiplier of the odds of qualifying relative to the average lead, e^(log LR).
Factors are ordered by how far they move the score, |log LR|, largest first (then
by field, for a stable order). The three strongest are always shown (when they
move the score at all); a fourth and fifth only when they multiply or divide the
odds by at least NOTABLE (1.25). Neutral values (LR exactly 1, e.g. unseen) never.

The words come from the caller: `labels` maps (field, value) to what the lead's
value says ("Source is Employee Referral", "No activity in the first 3 days");
without one, `field_labels` (field → "Source") and the value make "Source is X".
This module only formats.
"""

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from leads.scoring.model import Contribution
from leads.scoring.words import decimal_mark, gettext

LEAST, MOST = 3, 5
NOTABLE = 1.25


def format_multiplier(multiplier: float) -> str:
    """ "3.1×", "0.4×", "12×", "0.04×"; two decimals where one would read "1.0×".
    The decimal mark is the active language's ("3,1×" in German)."""
    if multiplier >= 10:
        return f"{multiplier:.0f}×"
    if multiplier < 0.1:
        shown = f"{multiplier:.2g}"
    else:
        shown = f"{multiplier:.1f}"
        if shown == "1.0":
            shown = f"{multiplier:.2f}"
    return f"{shown.replace('.', decimal_mark())}×"


@dataclass(frozen=True)
class Factor:
    field: str
    value: Hashable
    log_ratio: float
    label: str  # what the lead's value says: "Source is Employee Referral"

    @property
    def multiplier(self) -> float:
        return math.exp(self.log_ratio)

    @property
    def helps(self) -> bool:
        return self.log_ratio > 0

    @property
    def short(self) -> str:
        """ "No activity in the first 3 days: 0.4×" (a chart's label)."""
        return gettext("%(factor)s: %(multiplier)s") % {
            "factor": self.label,
            "multiplier": format_multiplier(self.multiplier),
        }

    @property
    def sentence(self) -> str:
        """ "Source is Employee Referral: qualifies 3.1× as often as average"."""
        return gettext("%(factor)s: qualifies %(multiplier)s as often as average") % {
            "factor": self.label,
            "multiplier": format_multiplier(self.multiplier),
        }


def label_for(
    name: str,
    value: Hashable,
    labels: Mapping[tuple[str, Hashable], str] | None = None,
    field_labels: Mapping[str, str] | None = None,
) -> str:
    """The caller's words for (field, value), else "<Field> is <value>"."""
    words = (labels or {}).get((name, value))
    if words:
        return words
    field_words = (field_labels or {}).get(name, name.replace("_", " ").capitalize())
    shown = gettext("empty") if value is None or value == "" else value
    return gettext("%(field)s is %(value)s") % {"field": field_words, "value": shown}


def top_factors(
    contributions: Iterable[Contribution],
    labels: Mapping[tuple[str, Hashable], str] | None = None,
    field_labels: Mapping[str, str] | None = None,
    least: int = LEAST,
    most: int = MOST,
    notable: float = NOTABLE,
) -> list[Factor]:
    """The factors to show for a lead (see the module docstring)."""
    if not 0 <= least <= most:
        raise ValueError("least is between 0 and most.")
    moving = sorted(
        (c for c in contributions if c.log_ratio != 0),
        key=lambda c: (-abs(c.log_ratio), c.field, str(c.value)),
    )
    threshold = math.log(notable)
    chosen = [
        c
        for rank, c in enumerate(moving[:most])
        if rank < least or abs(c.log_ratio) >= threshold
    ]
    return [
        Factor(
            c.field,
            c.value,
            c.log_ratio,
            label_for(c.field, c.value, labels, field_labels),
        )
        for c in chosen
    ]
