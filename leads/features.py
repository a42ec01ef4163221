"""What the score learns from, as SQL: each feature of a lead is one expression,
and every reader takes a lead's (field, value) pairs from these expressions, the
frequency tables' grouped count as much as a single lead's rescoring and the
backtest report, so the counts and the scores can never disagree on what a value
is. (A module below both the selectors and the reports, which both read it; the
scoring selectors re-export its names.)

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
    Lead,
    LeadState,
    LeadStatus,
)

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


def lead_rows(queryset, now=None):
    """(lead id, business unit, state, [(field, value), ...]) of each lead of
    `queryset`, in id order, from one statement: the pairs it is scored by (an open
    lead's pending engagement left out)."""
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
        yield pk, unit, state, pairs


def lead_pairs(queryset, now=None):
    """(lead id, business unit, [(field, value), ...]) of each lead of `queryset`,
    in id order: lead_rows without the state."""
    for pk, unit, _state, pairs in lead_rows(queryset, now):
        yield pk, unit, pairs
