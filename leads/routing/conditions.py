"""The condition vocabulary: which lead fields a rule's conditions read, with which
operators, and one condition validated, tested against a lead and put in words.

A condition is a dict {"field": ..., "op": ..., "value": ...}; a rule's conditions
are joined by AND. This module imports no models: the rule model validates its
conditions with validate_conditions, and the options of a choice field are the
Lead field's own choices, read through the app registry when first needed.

The lead's score and grade (SCORE_FIELDS) are not Lead fields: the caller reads
them (leads.selectors.routing.situation.scored_values, the grade by the current
thresholds) and passes them to lead_values. A lead without a score (never scored,
or too few closed leads for the model) matches no score or grade condition, not
even "grade not in".
"""

import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

CHOICE, REF, TEXT, NUMBER = "choice", "ref", "text", "number"
GRADES = ("A", "B", "C", "D")  # as leads.scoring.grades (a sibling this may not import)


@functools.cache
def _lead_choices(attr: str) -> tuple:
    return tuple(apps.get_model("leads", "Lead")._meta.get_field(attr).choices)


@dataclass(frozen=True)
class FieldSpec:
    label: str
    kind: str
    attr: str  # the Lead attribute the condition reads ("": the caller passes it)
    integer: bool = False
    bounds: tuple | None = None  # (lowest, highest) of a NUMBER's value
    options: tuple = ()  # a CHOICE's own (value, label) pairs, not a Lead field's
    ops: tuple = ()  # the operators, when not all of its kind's

    @property
    def choices(self) -> tuple:
        """(value, label) for a CHOICE field: its options, else the Lead field's."""
        if self.kind != CHOICE:
            return ()
        return self.options or _lead_choices(self.attr)

    @property
    def operators(self) -> tuple:
        return self.ops or OPERATORS_BY_KIND[self.kind]


FIELDS = {
    "source": FieldSpec(_("source"), CHOICE, "source"),
    "country": FieldSpec(_("country"), TEXT, "country"),
    "state": FieldSpec(_("state/province"), TEXT, "state_or_province"),
    "industry": FieldSpec(_("industry"), CHOICE, "industry"),
    "employees": FieldSpec(_("employees"), NUMBER, "number_of_employees", integer=True),
    "estimated_value": FieldSpec(_("est. value"), NUMBER, "estimated_value"),
    "rating": FieldSpec(_("rating"), CHOICE, "rating"),
    "campaign": FieldSpec(_("campaign"), REF, "campaign_id"),
    "channel_partner": FieldSpec(_("channel partner"), REF, "channel_partner_id"),
    "capture_form": FieldSpec(_("capture form"), REF, "capture_form_id"),
    "business_unit": FieldSpec(_("business unit"), REF, "business_unit_id"),
    "score": FieldSpec(
        _("score"), NUMBER, "", integer=True, bounds=(0, 100), ops=("gte", "lte")
    ),
    "grade": FieldSpec(
        _("grade"),
        CHOICE,
        "",
        options=tuple((letter, letter) for letter in GRADES),
        ops=("equals", "in", "not_in"),
    ),
}
# Read from the lead's score row, not the lead: see the module docstring.
SCORE_FIELDS = ("score", "grade")

OPERATORS = {
    "equals": _("is"),
    "in": _("in"),
    "not_in": _("not in"),
    "contains": _("contains"),
    "gte": "≥",
    "lte": "≤",
    "empty": _("is empty"),
}
OPERATORS_BY_KIND = {
    CHOICE: ("equals", "in", "not_in", "empty"),
    REF: ("equals", "in", "not_in", "empty"),
    TEXT: ("equals", "in", "not_in", "contains", "empty"),
    NUMBER: ("equals", "gte", "lte", "empty"),
}
LIST_OPERATORS = ("in", "not_in")


def _scalar(spec: FieldSpec, raw):
    """One value for `spec`, normalised for storage (ValueError when it is not one)."""
    if spec.options:
        text = str(raw).strip().upper() if isinstance(raw, str) else None
        if text not in {v for v, _label in spec.options}:
            raise ValueError
        return text
    if spec.kind in (CHOICE, REF):
        if isinstance(raw, bool):
            raise ValueError
        number = int(raw)
        if spec.kind == CHOICE and number not in {v for v, _label in spec.choices}:
            raise ValueError
        if number < 1 and spec.kind == REF:
            raise ValueError
        return number
    if spec.kind == NUMBER:
        if isinstance(raw, bool) or raw is None or str(raw).strip() == "":
            raise ValueError
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError from None
        if not number.is_finite():
            raise ValueError
        if spec.bounds and not spec.bounds[0] <= number <= spec.bounds[1]:
            raise ValueError
        if spec.integer:
            if number != number.to_integral_value():
                raise ValueError
            return int(number)
        return str(number)
    text = str(raw).strip() if raw is not None else ""
    if not text:
        raise ValueError
    return text


def clean_condition(raw) -> dict:
    """A condition in its stored form, or ValidationError saying what is wrong."""
    if not isinstance(raw, dict):
        raise ValidationError(
            gettext("A condition is a field, an operator and a value.")
        )
    spec = FIELDS.get(raw.get("field"))
    if spec is None:
        raise ValidationError(gettext("Choose a lead field for the condition."))
    op = raw.get("op")
    if op not in spec.operators:
        allowed = ", ".join(str(OPERATORS[o]) for o in spec.operators)
        raise ValidationError(
            gettext("For %(field)s the operator is one of: %(operators)s.")
            % {"field": spec.label, "operators": allowed},
            code="operator",
        )
    value = raw.get("value")
    if op == "empty":
        return {"field": raw["field"], "op": op, "value": None}
    try:
        if op in LIST_OPERATORS:
            if not isinstance(value, list | tuple) or not value:
                raise ValueError
            cleaned = []
            for item in value:
                item = _scalar(spec, item)
                if item not in cleaned:
                    cleaned.append(item)
        else:
            if isinstance(value, list | tuple):
                raise ValueError
            cleaned = _scalar(spec, value)
    except (TypeError, ValueError):
        wanted = {
            CHOICE: gettext("one of the listed values"),
            REF: gettext("one of the listed records"),
            TEXT: gettext("some text"),
            NUMBER: gettext("a whole number") if spec.integer else gettext("a number"),
        }[spec.kind]
        if spec.bounds:
            wanted = gettext("%(wanted)s from %(lowest)s to %(highest)s") % {
                "wanted": wanted,
                "lowest": spec.bounds[0],
                "highest": spec.bounds[1],
            }
        if spec.options:
            wanted = gettext("one of %(options)s") % {
                "options": ", ".join(v for v, _label in spec.options)
            }
        if op in LIST_OPERATORS:
            wanted = gettext("%(wanted)s (one or more)") % {"wanted": wanted}
        raise ValidationError(
            gettext("%(field)s %(operator)s needs %(wanted)s.")
            % {
                "field": capfirst(spec.label),
                "operator": OPERATORS[op],
                "wanted": wanted,
            }
        ) from None
    return {"field": raw["field"], "op": op, "value": cleaned}


def validate_conditions(value) -> None:
    """Raise ValidationError unless `value` is a list of well-formed conditions
    (the rule model's validator: a malformed list never reaches the table)."""
    if not isinstance(value, list):
        raise ValidationError(gettext("Conditions are a list."))
    for item in value:
        if clean_condition(item) != item:
            raise ValidationError(gettext("A condition is not in its stored form."))


def _text(value) -> str:
    return "" if value is None else str(value).strip().casefold()


def condition_holds(condition: dict, values: dict) -> bool:
    """Whether the lead `values` (see lead_values) satisfy one condition."""
    spec = FIELDS[condition["field"]]
    op, expected = condition["op"], condition["value"]
    actual = values.get(condition["field"])
    if condition["field"] in SCORE_FIELDS and actual is None:
        return False
    if op == "empty":
        return actual is None or actual == ""
    if actual is None or actual == "":
        return op == "not_in"
    if spec.kind == TEXT:
        actual = _text(actual)
        if op == "contains":
            return _text(expected) in actual
        if op in LIST_OPERATORS:
            found = actual in {_text(item) for item in expected}
            return found if op == "in" else not found
        return actual == _text(expected)
    if spec.kind == NUMBER:
        actual, target = Decimal(str(actual)), Decimal(str(expected))
        return {
            "equals": actual == target,
            "gte": actual >= target,
            "lte": actual <= target,
        }[op]
    if op in LIST_OPERATORS:
        found = actual in expected
        return found if op == "in" else not found
    return actual == expected


def describe_condition(
    condition: dict, labels: dict | None = None, values: dict | None = None
) -> str:
    """The condition in words: "source in Web, Trade Show".

    `labels` maps (field, id) to a record's name for campaign, channel partner,
    capture form and business unit conditions. With the lead's `values`, a score
    or grade condition names the lead's own: "score 82 ≥ 70".
    """
    spec = FIELDS[condition["field"]]
    op, value = condition["op"], condition["value"]
    label = spec.label
    if values is not None and condition["field"] in SCORE_FIELDS:
        actual = values.get(condition["field"])
        label = f"{label} {gettext('(none)') if actual is None else actual}"
    if op == "empty":
        return gettext("%(field)s is empty") % {"field": label}

    def word(item):
        if spec.kind == CHOICE:
            return str(dict(spec.choices).get(item, item))
        if spec.kind == REF:
            return (labels or {}).get((condition["field"], item), f"#{item}")
        if spec.kind == NUMBER:
            number = Decimal(str(item))
            if spec.integer:
                return number_format(int(number), force_grouping=True)
            return number_format(number, decimal_pos=2, force_grouping=True)
        return str(item)

    shown = ", ".join(word(i) for i in value) if op in LIST_OPERATORS else word(value)
    return f"{label} {OPERATORS[op]} {shown}"


def describe_check(condition: dict, values: dict) -> str:
    """A score or grade condition with the lead's own value and whether it holds:
    "score 82 ≥ 70 ✓", "grade C in A, B ✗", "score (none) ≥ 70 ✗"."""
    mark = "✓" if condition_holds(condition, values) else "✗"
    return f"{describe_condition(condition, values=values)} {mark}"


def lead_values(lead, *, score=None, grade=None) -> dict:
    """The values conditions read, taken from a Lead (or any object with its
    fields), with the lead's `score` and `grade` (see the module docstring)."""
    values = {
        key: getattr(lead, spec.attr, None) for key, spec in FIELDS.items() if spec.attr
    }
    values.update(score=score, grade=grade)
    return values
