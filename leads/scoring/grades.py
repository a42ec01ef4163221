"""The A–D grade from thresholds an administrator sets, and the week's trend.

Grades: A when score ≥ a, B when ≥ b, C when ≥ c, else D (defaults 75, 50, 25).
Thresholds are whole numbers, strictly decreasing, within 0..100 (c may be 0: then
no lead is a D). No score (not enough data) → no grade.

Trend: the score now against the score a week ago. A change of more than the dead
band (default 5 points) either way is improving / declining; within it (exactly 5
included) steady. Either score missing → no trend.
"""

from dataclasses import dataclass

GRADES = ("A", "B", "C", "D")
IMPROVING, STEADY, DECLINING = "improving", "steady", "declining"
DEAD_BAND = 5


@dataclass(frozen=True)
class GradeThresholds:
    """The lowest score of an A, a B and a C (ValueError when invalid)."""

    a: int = 75
    b: int = 50
    c: int = 25

    def __post_init__(self):
        for name in ("a", "b", "c"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"The {name.upper()} threshold is a whole number.")
            if not 0 <= value <= 100:
                raise ValueError(f"The {name.upper()} threshold is between 0 and 100.")
        if not self.a > self.b > self.c:
            raise ValueError("Thresholds decrease strictly: A above B above C.")


DEFAULT_THRESHOLDS = GradeThresholds()


def grade(score: int | None, thresholds: GradeThresholds = DEFAULT_THRESHOLDS):
    """ "A".."D" for a score 0..100, None for no score."""
    if score is None:
        return None
    if score >= thresholds.a:
        return "A"
    if score >= thresholds.b:
        return "B"
    if score >= thresholds.c:
        return "C"
    return "D"


def trend(now: int | None, week_ago: int | None, dead_band: int = DEAD_BAND):
    """IMPROVING, STEADY or DECLINING (see the module docstring), None without both."""
    if dead_band < 0:
        raise ValueError("The dead band is not negative.")
    if now is None or week_ago is None:
        return None
    change = now - week_ago
    if change > dead_band:
        return IMPROVING
    if change < -dead_band:
        return DECLINING
    return STEADY
