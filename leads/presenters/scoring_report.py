"""The scoring backtest page (templates/leads/scoring_report.html): its tables'
rows in percent and its two inline SVG charts as coordinates, prepared once; the
template only prints them."""

import math

from django.utils.translation import gettext

from leads.presenters.reports import fixed, percent
from leads.scoring.evaluation import wilson_interval

# The calibration chart's viewBox and plot area (SVG user units).
CAL_WIDTH, CAL_HEIGHT = 360, 300
CAL_LEFT, CAL_RIGHT, CAL_TOP, CAL_BOTTOM = 44, 12, 12, 44
# The AUC chart: one row per model on an axis from AXIS_LOW (or lower) to 1.
AUC_WIDTH, AUC_ROW, AUC_LEFT, AUC_RIGHT, AUC_TOP = 360, 30, 74, 14, 8
AXIS_LOW = 0.5


def _percent(value):
    return None if value is None else value * 100


def _band(low: float, high: float) -> str:
    """A calibration band in score points: "0-9", ..., "90-100"."""
    top = round(high * 100) - (0 if high >= 1 else 1)
    return f"{round(low * 100)}–{top}"


def calibration_rows(model, baseline) -> list[dict]:
    """One row per score band: the model's and the baseline's test leads there,
    their mean score and their observed qualification rate (percent, None when
    the band is empty), and the model's Wilson interval."""
    rows = []
    for ours, theirs in zip(model, baseline, strict=True):
        interval = wilson_interval(
            round((ours.observed_rate or 0) * ours.count), ours.count
        )
        rows.append(
            {
                "band": _band(ours.low, ours.high),
                "count": ours.count,
                "predicted": _percent(ours.mean_predicted),
                "observed": _percent(ours.observed_rate),
                "low": _percent(interval[0]) if interval else None,
                "high": _percent(interval[1]) if interval else None,
                "baseline_count": theirs.count,
                "baseline_predicted": _percent(theirs.mean_predicted),
                "baseline_observed": _percent(theirs.observed_rate),
            }
        )
    return rows


def _grade_scores(thresholds) -> dict[str, str]:
    t = thresholds
    return {
        "A": f"{t.a}–100",
        "B": f"{t.b}–{t.a - 1}",
        "C": f"{t.c}–{t.b - 1}",
        "D": f"0–{t.c - 1}" if t.c else gettext("none"),
    }


def grade_rows(model, baseline, thresholds) -> list[dict]:
    """One row per grade A-D: its scores under the thresholds, the model's and the
    baseline's test leads of that grade and their qualification rate with its
    Wilson interval (percent)."""
    scores = _grade_scores(thresholds)
    return [
        {
            "grade": ours.group,
            "scores": scores[ours.group],
            **{
                f"{prefix}{name}": value
                for prefix, rate in (("", ours), ("baseline_", theirs))
                for name, value in (
                    ("count", rate.count),
                    ("qualified", rate.qualified),
                    ("rate", _percent(rate.rate)),
                    ("low", _percent(rate.low)),
                    ("high", _percent(rate.high)),
                )
            },
        }
        for ours, theirs in zip(model, baseline, strict=True)
    ]


def _x(percent: float) -> float:
    return round(CAL_LEFT + percent / 100 * (CAL_WIDTH - CAL_LEFT - CAL_RIGHT), 1)


def _y(percent: float) -> float:
    return round(CAL_TOP + (1 - percent / 100) * (CAL_HEIGHT - CAL_TOP - CAL_BOTTOM), 1)


def _series(rows, prefix: str, name: str, css: str) -> dict:
    dots = [
        {
            "x": _x(row[f"{prefix}predicted"]),
            "y": _y(row[f"{prefix}observed"]),
            "title": gettext(
                "%(name)s, scores %(band)s: %(count)s leads, predicted %(predicted)s, "
                "qualified %(qualified)s"
            )
            % {
                "name": name,
                "band": row["band"],
                "count": row[f"{prefix}count"],
                "predicted": percent(fixed(row[f"{prefix}predicted"])),
                "qualified": percent(fixed(row[f"{prefix}observed"])),
            },
        }
        for row in rows
        if row[f"{prefix}count"]
    ]
    return {
        "name": name,
        "css": css,
        "points": " ".join(f"{dot['x']},{dot['y']}" for dot in dots),
        "dots": dots,
    }


def calibration_chart(rows) -> dict:
    """The reliability diagram: x the band's mean score (predicted %), y the
    share that qualified, the diagonal where both agree; the model's bands with
    their Wilson whiskers, the baseline's as a second line."""
    ticks = [0, 25, 50, 75, 100]
    whiskers = [
        {"x": _x(row["predicted"]), "y1": _y(row["low"]), "y2": _y(row["high"])}
        for row in rows
        if row["count"]
    ]
    return {
        "width": CAL_WIDTH,
        "height": CAL_HEIGHT,
        "left": CAL_LEFT,
        "right": CAL_WIDTH - CAL_RIGHT,
        "top": CAL_TOP,
        "bottom": CAL_HEIGHT - CAL_BOTTOM,
        "x_ticks": [{"at": _x(t), "label": percent(t)} for t in ticks],
        "y_ticks": [{"at": _y(t), "label": percent(t)} for t in ticks],
        "diagonal": {"x1": _x(0), "y1": _y(0), "x2": _x(100), "y2": _y(100)},
        "x_label_at": CAL_HEIGHT - 8,
        "x_label_x": (CAL_LEFT + CAL_WIDTH - CAL_RIGHT) / 2,
        "y_label_y": (CAL_TOP + CAL_HEIGHT - CAL_BOTTOM) / 2,
        "whiskers": whiskers,
        "series": [
            _series(rows, "baseline_", gettext("Source only"), "series-baseline"),
            _series(rows, "", gettext("Lead score"), "series-model"),
        ],
    }


def auc_chart(model, baseline) -> dict:
    """Each model's AUC as a dot on its 95% interval, on one axis from 0.5 (or
    lower, when an interval reaches below) to 1, with chance (0.5) marked."""
    lowest = min(AXIS_LOW, model.low, baseline.low)
    start = math.floor(lowest * 10) / 10
    span = AUC_WIDTH - AUC_LEFT - AUC_RIGHT

    def x(value):
        return round(AUC_LEFT + (value - start) / (1 - start) * span, 1)

    rows = []
    for index, (label, css, area) in enumerate(
        (
            (gettext("Lead score"), "series-model", model),
            (gettext("Source only"), "series-baseline", baseline),
        )
    ):
        y = AUC_TOP + AUC_ROW * index + AUC_ROW / 2
        rows.append(
            {
                "label": label,
                "css": css,
                "y": y,
                "x": x(area.value),
                "x1": x(area.low),
                "x2": x(area.high),
                "title": gettext(
                    "%(label)s: AUC %(auc)s, 95%% interval %(low)s–%(high)s"
                )
                % {
                    "label": label,
                    "auc": fixed(area.value, 3),
                    "low": fixed(area.low, 3),
                    "high": fixed(area.high, 3),
                },
            }
        )
    axis_y = AUC_TOP + AUC_ROW * 2 + 4
    steps = round((1 - start) * 10)
    return {
        "width": AUC_WIDTH,
        "height": axis_y + 20,
        "rows": rows,
        "axis_y": axis_y,
        "tick_y": axis_y + 15,
        "left": AUC_LEFT,
        "right": AUC_WIDTH - AUC_RIGHT,
        "chance": x(0.5),
        "ticks": [
            {"at": x(start + i / 10), "label": fixed(start + i / 10, 1)}
            for i in range(steps + 1)
        ],
    }
