"""Lead scoring's reads: the frequency tables and the settings as loaded by a
process, a stored score in words, the grade filter's ranges.

What a lead's (field, value) pairs are, as SQL, is leads.features (one definition
for the counts, the scores and the backtest report); its names are re-exported
here for the scoring services and for callers that knew them here.
"""

import time
from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leads.features import (
    ENGAGEMENT_DAYS,
    FEATURES,
    PENDING,
    SCORED_LEAD_FIELDS,
    by_scope,
    counted_leads,
    feature_expressions,
    grouped_counts,
    lead_pairs,
    lead_rows,
)
from leads.models import (
    ORGANISATION_SCOPE,
    TOTAL,
    Campaign,
    CaptureForm,
    Lead,
    LeadRating,
    LeadScore,
    LeadSource,
    ScoreCount,
    ScoringConfig,
)
from leads.scoring.factors import Factor
from leads.scoring.grades import grade, trend
from leads.scoring.model import FrequencyTable, missing_data

__all__ = [
    "ENGAGEMENT_DAYS",
    "FEATURES",
    "PENDING",
    "SCORED_LEAD_FIELDS",
    "by_scope",
    "counted_leads",
    "feature_expressions",
    "grouped_counts",
    "lead_pairs",
    "lead_rows",
]


# --- The tables, loaded ---------------------------------------------------------

TABLES_TTL = 60.0  # seconds a process keeps the tables before reading them again
_cache: dict = {}


def forget_tables() -> None:
    """Drop this process's copy of the tables and settings (after a write)."""
    _cache.clear()


def _load():
    counts: dict[int, dict] = {}
    totals: dict[int, tuple[int, int]] = {}
    rows = ScoreCount.objects.values_list(
        "scope", "field", "value", "qualified", "disqualified"
    )
    for scope, name, value, q, d in rows.iterator(chunk_size=5000):
        if (name, value) == TOTAL:
            totals[scope] = (q, d)
        elif q or d:
            counts.setdefault(scope, {})[(name, value)] = (q, d)
    return {
        scope: FrequencyTable(counts.get(scope, {}), *totals.get(scope, (0, 0)))
        for scope in set(counts) | set(totals) | {ORGANISATION_SCOPE}
    }


def scoring_tables() -> dict[int, FrequencyTable]:
    """{scope: FrequencyTable}, scope 0 the organisation's (always there, maybe
    empty). A process keeps them TABLES_TTL seconds: a lead closed meanwhile by
    another process moves the next scores after that (the counts themselves are
    exact in the database)."""
    now = time.monotonic()
    if _cache.get("tables_at", -TABLES_TTL) + TABLES_TTL <= now:
        _cache["tables"] = _load()
        _cache["tables_at"] = now
    return _cache["tables"]


def scoring_config() -> ScoringConfig:
    """The administrator's settings (the defaults until one is saved), kept by the
    process like the tables."""
    now = time.monotonic()
    if _cache.get("config_at", -TABLES_TTL) + TABLES_TTL <= now:
        _cache["config"] = ScoringConfig.objects.filter(pk=1).first() or ScoringConfig(
            pk=1
        )
        _cache["config_at"] = now
    return _cache["config"]


def score_of(lead) -> LeadScore | None:
    """The lead's stored score row, None before it was first scored."""
    try:
        return lead.score
    except LeadScore.DoesNotExist:
        return None


# --- A score, in words ------------------------------------------------------------

FIELD_WORDS = {
    "source": (_("Source is {value}"), _("No source recorded")),
    "campaign": (_("Campaign is {value}"), _("No campaign")),
    "capture_form": (_("Came through the form {value}"), _("Not from a capture form")),
    "industry": (_("Industry is {value}"), _("No industry recorded")),
    "employees": (_("{value} employees"), _("Company size unknown")),
    "value": (_("Estimated value {value}"), _("No estimated value")),
    "country": (_("Country is {value}"), _("No country recorded")),
    "rating": (_("Rated {value}"), _("No rating")),
    "budget_status": (_("Budget: {value}"), _("Budget unknown")),
    "purchase_timeframe": (
        _("Purchase timeframe: {value}"),
        _("No purchase timeframe"),
    ),
    "purchase_process": (_("Purchase process: {value}"), _("Purchase process unknown")),
    "need": (_("Need: {value}"), _("Need not recorded")),
}
VALUE_WORDS = {
    ("decision_maker", "yes"): _("Talking to the decision maker"),
    ("decision_maker", "no"): _("Not the decision maker"),
    ("email", "valid"): _("Has a valid email address"),
    ("email", "missing"): _("No email address"),
    ("email", "malformed"): _("Email address looks incomplete"),
    ("phone", "valid"): _("Has a phone number"),
    ("phone", "missing"): _("No phone number"),
    ("phone", "short"): _("Phone number too short to dial"),
    ("first_contact", "day"): _("First activity on the first day"),
    ("first_contact", "3days"): _("First activity within 3 days"),
    ("first_contact", "later"): _("First activity after 3 days"),
    ("first_contact", "none"): _("No activity in the first 3 days"),
    ("first_contact", PENDING): _("No activity yet"),
}
FIELD_LABELS = {
    "source": _("Source"),
    "campaign": _("Campaign"),
    "capture_form": _("Capture form"),
    "industry": _("Industry"),
    "employees": _("Employees"),
    "value": _("Estimated value"),
    "country": _("Country"),
    "rating": _("Rating"),
    "budget_status": _("Budget"),
    "purchase_timeframe": _("Purchase timeframe"),
    "purchase_process": _("Purchase process"),
    "decision_maker": _("Decision maker"),
    "need": _("Need"),
    "email": _("Email"),
    "phone": _("Phone"),
    "first_contact": _("First contact"),
}


def _choice_labels():
    from accounts.models import Industry
    from leads.models import BudgetStatus, Need, PurchaseProcess, PurchaseTimeframe

    choices = {
        "source": LeadSource,
        "industry": Industry,
        "rating": LeadRating,
        "budget_status": BudgetStatus,
        "purchase_timeframe": PurchaseTimeframe,
        "purchase_process": PurchaseProcess,
        "need": Need,
    }
    return {
        name: {str(value): label for value, label in enum.choices}
        for name, enum in choices.items()
    }


def value_words(pairs, known=None) -> dict[tuple[str, str], str]:
    """{(field, value): what it says of a lead} for the (field, value) pairs:
    "Source is Employee Referral", "No activity in the first 3 days". Campaign and
    capture-form names cost one query each, only when asked for and not `known`
    ({"campaign": {"5": "Spring fair"}}: names the caller has already read)."""
    pairs = list(pairs)
    choices = _choice_labels()
    names = {name: dict(given) for name, given in (known or {}).items()}
    for name, model in (("campaign", Campaign), ("capture_form", CaptureForm)):
        ids = {v for f, v in pairs if f == name and v.isdigit()}
        ids -= names.get(name, {}).keys()
        if ids:
            names.setdefault(name, {}).update(
                (str(pk), title)
                for pk, title in model.objects.filter(pk__in=ids).values_list(
                    "pk", "name"
                )
            )
    words = {}
    for name, value in pairs:
        if (name, value) in VALUE_WORDS:
            words[(name, value)] = str(VALUE_WORDS[(name, value)])
            continue
        shown, empty = FIELD_WORDS.get(name, (f"{name} is {{value}}", f"No {name}"))
        if value in ("", None):
            words[(name, value)] = str(empty)
            continue
        label = choices.get(name, {}).get(value) or names.get(name, {}).get(value)
        words[(name, value)] = str(shown).format(value=label or value)
    return words


@dataclass(frozen=True)
class ScoreView:
    """A lead's score as people read it."""

    score: int | None
    model_score: int | None
    grade: str | None
    trend: str | None
    week_ago: int | None
    factors: list[Factor]
    pinned: bool
    pin_reason: str
    pinned_by: object
    pinned_at: object
    missing: str | None  # why there is no number yet
    scored_at: object


def _missing_reason(row) -> str | None:
    if row is not None and row.model_score is not None:
        return None
    config = scoring_config()
    tables = scoring_tables()
    table = tables[ORGANISATION_SCOPE]
    return missing_data(table, config.model_settings) or gettext("Not scored yet.")


def _known_names(lead) -> dict:
    """The campaign and capture form names `lead` was read with (none unloaded)."""
    known = {}
    for name in ("campaign", "capture_form"):
        if lead is not None and Lead._meta.get_field(name).is_cached(lead):
            related = getattr(lead, name)
            if related is not None:
                known[name] = {str(related.pk): related.name}
    return known


def describe_score(row: LeadScore | None, lead=None) -> ScoreView:
    """The score row of a lead (None: never scored) as the lead page, the API and
    the home page show it; `lead` (read with its campaign and capture form) names
    them without another query."""
    config = scoring_config()
    if row is None:
        return ScoreView(
            None,
            None,
            None,
            None,
            None,
            [],
            False,
            "",
            None,
            None,
            _missing_reason(None),
            None,
        )
    stored = [tuple(f[:3]) for f in row.factors or []]
    words = value_words([(f, v) for f, v, _ in stored], known=_known_names(lead))
    factors = [
        Factor(f, v, ratio, words.get((f, v), f"{f} is {v}")) for f, v, ratio in stored
    ]
    return ScoreView(
        score=row.score,
        model_score=row.model_score,
        grade=grade(row.score, config.thresholds),
        trend=trend(row.score, row.week_ago),
        week_ago=row.week_ago,
        factors=factors,
        pinned=row.pinned,
        pin_reason=row.pin_reason,
        pinned_by=row.pinned_by,
        pinned_at=row.pinned_at,
        missing=_missing_reason(row),
        scored_at=row.scored_at,
    )


def grade_range(letter: str) -> tuple[int, int] | None:
    """(lowest, highest) score of a grade under the current thresholds (the list's
    grade filter), None for an unknown letter."""
    t = scoring_config().thresholds
    ranges = {
        "A": (t.a, 100),
        "B": (t.b, t.a - 1),
        "C": (t.c, t.b - 1),
        "D": (0, t.c - 1),
    }
    return ranges.get(letter)
