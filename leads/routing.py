"""Pure routing: conditions, rule precedence, member choice and the decision with
its reason in words. No database access: callers pass plain values and objects
(rules, users) whose attributes are already loaded, so everything here is
unit-testable without a database and the dry run can replay it in memory.

A condition is a dict {"field": ..., "op": ..., "value": ...}; a rule's conditions
are joined by AND. Rules are tried channel partner's first, then business units'
(nearest unit of the lead first), then the organisation's; within a level by order
(then id); the first match wins.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from accounts.models import Industry
from leads.models.choices import LeadRating, LeadSource

CHOICE, REF, TEXT, NUMBER = "choice", "ref", "text", "number"


@dataclass(frozen=True)
class FieldSpec:
    label: str
    kind: str
    attr: str  # the Lead attribute the condition reads
    choices: tuple = ()  # (value, label) for CHOICE fields
    integer: bool = False


FIELDS = {
    "source": FieldSpec("source", CHOICE, "source", tuple(LeadSource.choices)),
    "country": FieldSpec("country", TEXT, "country"),
    "state": FieldSpec("state/province", TEXT, "state_or_province"),
    "industry": FieldSpec("industry", CHOICE, "industry", tuple(Industry.choices)),
    "employees": FieldSpec("employees", NUMBER, "number_of_employees", integer=True),
    "estimated_value": FieldSpec("est. value", NUMBER, "estimated_value"),
    "rating": FieldSpec("rating", CHOICE, "rating", tuple(LeadRating.choices)),
    "campaign": FieldSpec("campaign", REF, "campaign_id"),
    "channel_partner": FieldSpec("channel partner", REF, "channel_partner_id"),
    "capture_form": FieldSpec("capture form", REF, "capture_form_id"),
    "business_unit": FieldSpec("business unit", REF, "business_unit_id"),
}

OPERATORS = {
    "equals": "is",
    "in": "in",
    "not_in": "not in",
    "contains": "contains",
    "gte": "≥",
    "lte": "≤",
    "empty": "is empty",
}
OPERATORS_BY_KIND = {
    CHOICE: ("equals", "in", "not_in", "empty"),
    REF: ("equals", "in", "not_in", "empty"),
    TEXT: ("equals", "in", "not_in", "contains", "empty"),
    NUMBER: ("equals", "gte", "lte", "empty"),
}
LIST_OPERATORS = ("in", "not_in")

ORGANISATION, UNIT, PARTNER = "organisation", "unit", "partner"
LEVEL_LABELS = {
    PARTNER: "Channel partner rules",
    UNIT: "Business unit rules",
    ORGANISATION: "Organisation rules",
}


# --- conditions ----------------------------------------------------------------------


def _scalar(spec: FieldSpec, raw):
    """One value for `spec`, normalised for storage (ValueError when it is not one)."""
    if spec.kind in (CHOICE, REF):
        if isinstance(raw, bool):
            raise ValueError
        number = int(raw)
        if spec.kind == CHOICE and number not in {v for v, _ in spec.choices}:
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
        raise ValidationError("A condition is a field, an operator and a value.")
    spec = FIELDS.get(raw.get("field"))
    if spec is None:
        raise ValidationError("Choose a lead field for the condition.")
    op = raw.get("op")
    if op not in OPERATORS_BY_KIND[spec.kind]:
        allowed = ", ".join(OPERATORS[o] for o in OPERATORS_BY_KIND[spec.kind])
        raise ValidationError(f"For {spec.label} the operator is one of: {allowed}.")
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
            CHOICE: "one of the listed values",
            REF: "one of the listed records",
            TEXT: "some text",
            NUMBER: "a whole number" if spec.integer else "a number",
        }[spec.kind]
        many = " (one or more)" if op in LIST_OPERATORS else ""
        raise ValidationError(
            f"{spec.label.capitalize()} {OPERATORS[op]} needs {wanted}{many}."
        ) from None
    return {"field": raw["field"], "op": op, "value": cleaned}


def validate_conditions(value) -> None:
    """Raise ValidationError unless `value` is a list of well-formed conditions."""
    if not isinstance(value, list):
        raise ValidationError("Conditions are a list.")
    for item in value:
        if clean_condition(item) != item:
            raise ValidationError("A condition is not in its stored form.")


def _text(value) -> str:
    return "" if value is None else str(value).strip().casefold()


def condition_holds(condition: dict, values: dict) -> bool:
    """Whether the lead `values` (see lead_values) satisfy one condition."""
    spec = FIELDS[condition["field"]]
    op, expected = condition["op"], condition["value"]
    actual = values.get(condition["field"])
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


def describe_condition(condition: dict, labels: dict | None = None) -> str:
    """The condition in words: "source in Web, Trade Show".

    `labels` maps (field, id) to a record's name for campaign, channel partner,
    capture form and business unit conditions.
    """
    spec = FIELDS[condition["field"]]
    op, value = condition["op"], condition["value"]
    if op == "empty":
        return f"{spec.label} is empty"

    def word(item):
        if spec.kind == CHOICE:
            return dict(spec.choices).get(item, str(item))
        if spec.kind == REF:
            return (labels or {}).get((condition["field"], item), f"#{item}")
        if spec.kind == NUMBER:
            number = Decimal(str(item))
            return f"{number:,.2f}" if not spec.integer else f"{int(number):,}"
        return str(item)

    shown = ", ".join(word(i) for i in value) if op in LIST_OPERATORS else word(value)
    return f"{spec.label} {OPERATORS[op]} {shown}"


def lead_values(lead) -> dict:
    """The values conditions read, taken from a Lead (or any object with its fields)."""
    return {key: getattr(lead, spec.attr, None) for key, spec in FIELDS.items()}


# --- rules ---------------------------------------------------------------------------


def rule_level(rule) -> str:
    if rule.channel_partner_id:
        return PARTNER
    if rule.business_unit_id:
        return UNIT
    return ORGANISATION


def unit_ancestry(unit_id, parents: dict) -> list:
    """The unit and its ancestors, nearest first; `parents` maps id to parent id."""
    chain, seen = [], set()
    while unit_id is not None and unit_id not in seen:
        chain.append(unit_id)
        seen.add(unit_id)
        unit_id = parents.get(unit_id)
    return chain


def applicable_rules(rules, values: dict, ancestry: list) -> list:
    """The active rules that apply to a lead, in the order they are tried."""
    depth = {unit_id: i for i, unit_id in enumerate(ancestry)}

    def key(rule):
        level = rule_level(rule)
        if level == PARTNER:
            return (0, 0, rule.order, rule.pk or 0)
        if level == UNIT:
            return (1, depth[rule.business_unit_id], rule.order, rule.pk or 0)
        return (2, 0, rule.order, rule.pk or 0)

    found = []
    for rule in rules:
        if not rule.is_active:
            continue
        level = rule_level(rule)
        if level == PARTNER and rule.channel_partner_id != values.get(
            "channel_partner"
        ):
            continue
        if level == UNIT and rule.business_unit_id not in depth:
            continue
        found.append(rule)
    return sorted(found, key=key)


@dataclass
class Match:
    rule: object
    conditions: list  # the rule's conditions, all of which held


def match_rule(rules, values: dict, ancestry: list) -> Match | None:
    """The first applicable rule whose conditions all hold, or None."""
    for rule in applicable_rules(rules, values, ancestry):
        conditions = rule.conditions or []
        if all(condition_holds(c, values) for c in conditions):
            return Match(rule=rule, conditions=list(conditions))
    return None


# --- who can take a lead -------------------------------------------------------------


def ineligible_reason(user, *, load: int, today) -> str | None:
    """Why `user` cannot take a new lead now ("inactive", "unavailable",
    "at capacity"), or None when they can. `load` is their open-lead count."""
    if not user.is_active:
        return "inactive"
    if not user.available_for_leads and (
        user.unavailable_until is None or today <= user.unavailable_until
    ):
        return "unavailable"
    if user.lead_capacity is not None and load >= user.lead_capacity:
        return "at capacity"
    return None


def next_in_turn(member_ids: list, cursor_id, eligible: set):
    """Round robin: the first eligible member after the cursor, wrapping around."""
    ordered = sorted(member_ids)
    after = [pk for pk in ordered if cursor_id is None or pk > cursor_id]
    before = [pk for pk in ordered if cursor_id is not None and pk <= cursor_id]
    return next((pk for pk in after + before if pk in eligible), None)


def least_loaded(member_ids: list, loads: dict, eligible: set):
    """The eligible member with the fewest open leads (lowest id on a tie)."""
    candidates = [pk for pk in sorted(member_ids) if pk in eligible]
    return min(candidates, key=lambda pk: loads.get(pk, 0), default=None)


# --- the decision --------------------------------------------------------------------


@dataclass
class Decision:
    """Where a lead goes and why. `user` is None when it stays where it is."""

    reason: str  # matched, fallback, team_full, unchanged, kept (AssignmentReason)
    detail: str
    rule: object = None
    conditions: list = field(default_factory=list)
    user: object = None
    turn: bool = False  # a round-robin turn was taken: move the rule's cursor


@dataclass
class Situation:
    """What the decision needs besides the lead, all loaded beforehand.

    users: id -> user (targets, team members, fallback candidates);
    team_members: team id -> member ids; loads: user id -> open leads;
    cursors: rule id -> last assigned user id; default_owners: unit id -> user id;
    unit_names: unit id -> name; labels: (field, id) -> name;
    fallback_owner_id: the LEADSITE_FALLBACK_OWNER user's id (or None);
    keeper: the person creating the lead, when a person creates it: a lead no rule
    routes (no match, or the rule's target cannot take it) stays with them instead
    of going down the fallback chain, which is for leads nobody owns yet.
    """

    users: dict
    team_members: dict
    loads: dict
    cursors: dict
    parents: dict
    default_owners: dict
    unit_names: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    fallback_owner_id: object = None
    today: object = None
    exclude: set = field(default_factory=set)
    keeper: object = None


def _eligible(situation: Situation, pk) -> str | None:
    user = situation.users.get(pk)
    if user is None:
        return "missing"
    if pk in situation.exclude:
        return "current owner"
    return ineligible_reason(
        user, load=situation.loads.get(pk, 0), today=situation.today
    )


def _fallback(situation: Situation, unit_id):
    """The first eligible fallback: the nearest unit default owner from `unit_id`
    up, then the fallback owner setting. Returns (user, words) or (None, None)."""
    for unit in unit_ancestry(unit_id, situation.parents):
        owner_id = situation.default_owners.get(unit)
        if owner_id is not None and _eligible(situation, owner_id) is None:
            name = situation.unit_names.get(unit, "the business unit")
            return situation.users[owner_id], f"{name} default owner"
    pk = situation.fallback_owner_id
    if pk is not None and _eligible(situation, pk) is None:
        return situation.users[pk], "fallback owner"
    return None, None


def decide(values: dict, rules, situation: Situation) -> Decision:
    """Route one lead: match a rule, pick the member, else keep it with its
    creator (situation.keeper) or walk the fallback chain."""
    ancestry = unit_ancestry(values.get("business_unit"), situation.parents)
    found = match_rule(rules, values, ancestry)
    keeper = situation.keeper
    if found is None:
        if keeper is not None:
            return Decision(
                "kept", f"no rule matched → kept by creator {keeper}", user=keeper
            )
        user, words = _fallback(situation, values.get("business_unit"))
        if user is None:
            return Decision("unchanged", "no rule matched and no fallback owner")
        return Decision("fallback", f"no rule matched → {words} {user}", user=user)

    rule = found.rule
    described = "; ".join(
        describe_condition(c, situation.labels) for c in found.conditions
    )
    head = f"matched '{rule.name}'" + (f" ({described})" if described else "")
    base = dict(rule=rule, conditions=found.conditions)
    if rule.target_user_id:
        target = situation.users.get(rule.target_user_id)
        why = _eligible(situation, rule.target_user_id)
        if why is None:
            return Decision("matched", f"{head} → {target}", user=target, **base)
        miss = f"{head} → {target or 'user'}: {why}"
    else:
        members = situation.team_members.get(rule.target_team_id, [])
        eligible = {pk for pk in members if _eligible(situation, pk) is None}
        team = rule.target_team
        if rule.distribution == "least_loaded":
            pk = least_loaded(members, situation.loads, eligible)
            how = "least loaded"
        else:
            pk = next_in_turn(members, situation.cursors.get(rule.pk), eligible)
            how = "round-robin turn of"
        if pk is not None:
            user = situation.users[pk]
            load = situation.loads.get(pk, 0)
            words = (
                f"{how} {user}"
                if how != "least loaded"
                else f"least loaded: {user} ({load} open)"
            )
            return Decision(
                "matched",
                f"{head} → team {team}, {words}",
                user=user,
                turn=how != "least loaded",
                **base,
            )
        if not members:
            miss = f"{head} → team {team}: no members"
        else:
            reasons = {_eligible(situation, pk) for pk in members}
            state = (
                f"everyone {reasons.pop()}" if len(reasons) == 1 else "nobody eligible"
            )
            miss = f"{head} → team {team}: {state}"
    if keeper is not None:
        return Decision(
            "kept", f"{miss} → kept by creator {keeper}", user=keeper, **base
        )
    unit_id = rule.business_unit_id or values.get("business_unit")
    user, words = _fallback(situation, unit_id)
    if user is None:
        return Decision("unchanged", f"{miss}; no fallback owner", **base)
    return Decision("team_full", f"{miss} → {words} {user}", user=user, **base)


def apply_decision(decision: Decision, situation: Situation, previous_owner_id=None):
    """Update the in-memory loads and cursors as the assignment would (dry run)."""
    if decision.user is None:
        return
    pk = decision.user.pk
    situation.loads[pk] = situation.loads.get(pk, 0) + 1
    if previous_owner_id in situation.loads and previous_owner_id != pk:
        situation.loads[previous_owner_id] = max(
            0, situation.loads[previous_owner_id] - 1
        )
    if decision.turn:
        situation.cursors[decision.rule.pk] = pk
