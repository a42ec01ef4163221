"""What the score learns from, as SQL: each feature of a lead is one expression, and
every reader takes a lead's (field, value) pairs from these expressions, the
frequency tables' grouped count as much as a single lead's rescoring, so the counts
and the scores can never disagree on what a value is.

Features (FEATURES, in the order the lead page lists them): the values a lead has
when it arrives and while it is worked. Each closed lead has exactly one value per
feature ("" when the field is empty), so every feature's counts add up to the
table's totals. Engagement is measured up to a reference time: the lead's close
for a closed lead, now for an open one.

- first_contact: "day" (first activity within a day of arrival), "3days" (within 3
  days), "later", "none" (no activity in the first 3 days), "pending" (younger than
  3 days, no activity yet). An open lead's "pending" is left out of its score (it
  says nothing yet); a closed lead's is counted (it closed within 3 days untouched).
"""

import datetime
import time
from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from leads.models import (
    ORGANISATION_SCOPE,
    TOTAL,
    Campaign,
    CaptureForm,
    Lead,
    LeadRating,
    LeadScore,
    LeadSource,
    LeadState,
    LeadStatus,
    ScoreCount,
    ScoringConfig,
)
from leads.scoring.factors import Factor
from leads.scoring.grades import grade, trend
from leads.scoring.model import FrequencyTable, missing_data

PENDING = "pending"
ENGAGEMENT_DAYS = 3

EMPLOYEE_BANDS = [(10, "1-9"), (50, "10-49"), (250, "50-249"), (1000, "250-999")]
EMPLOYEE_TOP = "1000+"
VALUE_BANDS = [(10_000, "<10k"), (50_000, "10k-50k"), (250_000, "50k-250k")]
VALUE_TOP = "250k+"


def _text(name):
    return Coalesce(Cast(F(name), CharField()), Value(""))


def _bands(name, bands, top):
    return Case(
        When(**{f"{name}__isnull": True}, then=Value("")),
        *[When(**{f"{name}__lt": limit}, then=Value(label)) for limit, label in bands],
        default=Value(top),
        output_field=CharField(),
    )


def _yes_no(condition):
    return Case(
        When(condition, then=Value("yes")),
        default=Value("no"),
        output_field=CharField(),
    )


def _email():
    return Case(
        When(email="", then=Value("missing")),
        When(email__regex=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", then=Value("valid")),
        default=Value("malformed"),
        output_field=CharField(),
    )


def _phone():
    return Case(
        When(business_phone_digits="", mobile_phone_digits="", then=Value("missing")),
        When(
            Q(business_phone_digits__regex=r"^[0-9]{7,}$")
            | Q(mobile_phone_digits__regex=r"^[0-9]{7,}$"),
            then=Value("valid"),
        ),
        default=Value("short"),
        output_field=CharField(),
    )


def _first_contact(now):
    reference = Coalesce(F("closed_at"), Value(now, output_field=DateTimeField()))
    untouched = Q(first_activity_at__isnull=True) | Q(first_activity_at__gt=reference)
    window = datetime.timedelta(days=ENGAGEMENT_DAYS)
    return Case(
        When(
            ~untouched
            & Q(first_activity_at__lt=F("created_at") + datetime.timedelta(days=1)),
            then=Value("day"),
        ),
        When(
            ~untouched & Q(first_activity_at__lt=F("created_at") + window),
            then=Value("3days"),
        ),
        When(~untouched, then=Value("later")),
        When(created_at__gt=reference - window, then=Value(PENDING)),
        default=Value("none"),
        output_field=CharField(),
    )


def feature_expressions(now=None) -> dict:
    """{field: SQL expression of the lead's value, as text}."""
    now = now or timezone.now()
    return {
        "source": _text("source"),
        "campaign": _text("campaign_id"),
        "capture_form": _text("capture_form_id"),
        "industry": _text("industry"),
        "employees": _bands("number_of_employees", EMPLOYEE_BANDS, EMPLOYEE_TOP),
        "value": _bands("estimated_value", VALUE_BANDS, VALUE_TOP),
        "country": F("country"),
        "rating": _text("rating"),
        "budget_status": _text("budget_status"),
        "purchase_timeframe": _text("purchase_timeframe"),
        "purchase_process": _text("purchase_process"),
        "decision_maker": _yes_no(Q(decision_maker=True)),
        "need": _text("need"),
        "email": _email(),
        "phone": _phone(),
        "first_contact": _first_contact(now),
    }


FEATURES = list(feature_expressions(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)))
# Fields of the lead whose change can move its score (a save rescoring it).
SCORED_LEAD_FIELDS = frozenset(
    {
        "source",
        "campaign",
        "capture_form",
        "industry",
        "number_of_employees",
        "estimated_value",
        "country",
        "rating",
        "budget_status",
        "purchase_timeframe",
        "purchase_process",
        "decision_maker",
        "need",
        "email",
        "business_phone",
        "mobile_phone",
        "first_activity_at",
        "business_unit",
    }
)


def counted_leads(queryset=None) -> QuerySet:
    """The closed leads the model learns from: qualified or disqualified, neither
    merged nor canceled."""
    queryset = Lead.objects.all() if queryset is None else queryset
    return queryset.filter(
        state__in=[LeadState.QUALIFIED, LeadState.DISQUALIFIED], merged=False
    ).exclude(status=LeadStatus.CANCELED)


def grouped_counts(queryset) -> list[tuple[int, str, str, int, int]]:
    """(business unit, field, value, qualified, disqualified) of the closed leads
    among `queryset` (counted_leads), each field's values and the totals
    (field and value "*"): one grouped statement (a UNION ALL of one GROUP BY per
    feature), the database doing the counting."""
    closed = counted_leads(queryset).order_by()
    outcome = {
        "q": Count("pk", filter=Q(state=LeadState.QUALIFIED)),
        "d": Count("pk", filter=Q(state=LeadState.DISQUALIFIED)),
    }
    columns = ("business_unit_id", "f", "v", "q", "d")
    parts = [
        closed.annotate(f=Value(TOTAL[0]), v=Value(TOTAL[1]))
        .values("business_unit_id", "f", "v")
        .annotate(**outcome)
        .values_list(*columns)
    ]
    for name, expression in feature_expressions().items():
        parts.append(
            closed.annotate(f=Value(name), v=expression)
            .values("business_unit_id", "f", "v")
            .annotate(**outcome)
            .values_list(*columns)
        )
    return list(parts[0].union(*parts[1:], all=True))


def by_scope(rows) -> dict[tuple[int, str, str], list[int]]:
    """{(scope, field, value): [qualified, disqualified]} from grouped_counts rows:
    each unit's and, summed over the units, the organisation's (scope 0)."""
    table: dict[tuple[int, str, str], list[int]] = {}
    for unit, name, value, q, d in rows:
        for scope in (unit, ORGANISATION_SCOPE):
            cell = table.setdefault((scope, name, value), [0, 0])
            cell[0] += q
            cell[1] += d
    return table


def lead_pairs(queryset, now=None):
    """(lead id, business unit, [(field, value), ...]) of each lead of `queryset`,
    in id order: the pairs it is scored by (an open lead's pending engagement left
    out)."""
    expressions = feature_expressions(now)
    rows = (
        queryset.order_by("pk")
        .annotate(**{f"feature_{k}": v for k, v in expressions.items()})
        .values_list(
            "pk", "business_unit_id", "state", *(f"feature_{k}" for k in expressions)
        )
    )
    for pk, unit, state, *values in rows:
        pairs = [
            (name, value or "")
            for name, value in zip(expressions, values, strict=True)
            if not (name == "first_contact" and value == PENDING and state == 0)
        ]
        yield pk, unit, pairs


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
    "source": ("Source is {}", "No source recorded"),
    "campaign": ("Campaign is {}", "No campaign"),
    "capture_form": ("Came through the form {}", "Not from a capture form"),
    "industry": ("Industry is {}", "No industry recorded"),
    "employees": ("{} employees", "Company size unknown"),
    "value": ("Estimated value {}", "No estimated value"),
    "country": ("Country is {}", "No country recorded"),
    "rating": ("Rated {}", "No rating"),
    "budget_status": ("Budget: {}", "Budget unknown"),
    "purchase_timeframe": ("Purchase timeframe: {}", "No purchase timeframe"),
    "purchase_process": ("Purchase process: {}", "Purchase process unknown"),
    "need": ("Need: {}", "Need not recorded"),
}
VALUE_WORDS = {
    ("decision_maker", "yes"): "Talking to the decision maker",
    ("decision_maker", "no"): "Not the decision maker",
    ("email", "valid"): "Has a valid email address",
    ("email", "missing"): "No email address",
    ("email", "malformed"): "Email address looks incomplete",
    ("phone", "valid"): "Has a phone number",
    ("phone", "missing"): "No phone number",
    ("phone", "short"): "Phone number too short to dial",
    ("first_contact", "day"): "First activity on the first day",
    ("first_contact", "3days"): "First activity within 3 days",
    ("first_contact", "later"): "First activity after 3 days",
    ("first_contact", "none"): "No activity in the first 3 days",
    ("first_contact", PENDING): "No activity yet",
}
FIELD_LABELS = {
    "source": "Source",
    "campaign": "Campaign",
    "capture_form": "Capture form",
    "industry": "Industry",
    "employees": "Employees",
    "value": "Estimated value",
    "country": "Country",
    "rating": "Rating",
    "budget_status": "Budget",
    "purchase_timeframe": "Purchase timeframe",
    "purchase_process": "Purchase process",
    "decision_maker": "Decision maker",
    "need": "Need",
    "email": "Email",
    "phone": "Phone",
    "first_contact": "First contact",
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


def value_words(pairs) -> dict[tuple[str, str], str]:
    """{(field, value): what it says of a lead} for the (field, value) pairs:
    "Source is Employee Referral", "No activity in the first 3 days". Campaign and
    capture-form names cost one query each, only when asked for."""
    pairs = list(pairs)
    choices = _choice_labels()
    names = {}
    for name, model in (("campaign", Campaign), ("capture_form", CaptureForm)):
        ids = {v for f, v in pairs if f == name and v.isdigit()}
        if ids:
            names[name] = {
                str(pk): title
                for pk, title in model.objects.filter(pk__in=ids).values_list(
                    "pk", "name"
                )
            }
    words = {}
    for name, value in pairs:
        if (name, value) in VALUE_WORDS:
            words[(name, value)] = VALUE_WORDS[(name, value)]
            continue
        shown, empty = FIELD_WORDS.get(name, (f"{name} is {{}}", f"No {name}"))
        if value in ("", None):
            words[(name, value)] = empty
            continue
        label = choices.get(name, {}).get(value) or names.get(name, {}).get(value)
        words[(name, value)] = shown.format(label or value)
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
    return missing_data(table, config.model_settings) or "Not scored yet."


def describe_score(row: LeadScore | None) -> ScoreView:
    """The score row of a lead (None: never scored) as the lead page, the API and
    the home page show it."""
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
    words = value_words((f, v) for f, v, _ in stored)
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
