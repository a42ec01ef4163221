"""The pure routing engine (leads.routing): operators, precedence of levels, order,
member choice and the decision's words. No database: rules and users are unsaved
objects or plain namespaces."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from leads.models import LeadRating, LeadSource
from leads.routing.conditions import (
    FIELDS,
    clean_condition,
    condition_holds,
    describe_condition,
    validate_conditions,
)
from leads.routing.decision import apply_decision, decide, least_loaded, next_in_turn
from leads.routing.matching import match_rule, unit_ancestry
from leads.routing.situation import Situation, ineligible_reason

TODAY = datetime.date(2026, 12, 1)


def rule(pk, name="R", *, order=100, conditions=(), unit=None, partner=None, **kw):
    fields = dict(
        pk=pk,
        name=name,
        order=order,
        is_active=True,
        conditions=[clean_condition(c) for c in conditions],
        business_unit_id=unit,
        channel_partner_id=partner,
        target_user_id=None,
        target_team_id=None,
        target_team=None,
        distribution="round_robin",
    )
    fields.update(kw)
    return SimpleNamespace(**fields)


def cond(field, op, value=None):
    return {"field": field, "op": op, "value": value}


def values(**kw):
    base = {key: None for key in FIELDS}
    base.update(kw)
    return base


def person(pk, name, **kw):
    fields = dict(
        pk=pk,
        is_active=True,
        available_for_leads=True,
        unavailable_until=None,
        lead_capacity=None,
        name=name,
    )
    fields.update(kw)
    user = SimpleNamespace(**fields)
    return user


class Named(SimpleNamespace):
    def __str__(self):
        return self.name


def user(pk, name, **kw):
    return Named(**vars(person(pk, name, **kw)))


# --- operators -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition,lead,expected",
    [
        (cond("source", "equals", 8), values(source=8), True),
        (cond("source", "equals", 8), values(source=7), False),
        (cond("source", "in", [8, 7]), values(source=7), True),
        (cond("source", "in", [8, 7]), values(source=1), False),
        (cond("source", "not_in", [8, 7]), values(source=1), True),
        (cond("source", "not_in", [8, 7]), values(source=8), False),
        (cond("source", "not_in", [8]), values(source=None), True),
        (cond("country", "equals", "Germany"), values(country=" germany "), True),
        (cond("country", "in", ["UK", "DE"]), values(country="de"), True),
        (cond("country", "contains", "land"), values(country="Netherlands"), True),
        (cond("country", "contains", "land"), values(country="France"), False),
        (cond("state", "equals", "Bavaria"), values(state="Bavaria"), True),
        (cond("employees", "gte", 100), values(employees=100), True),
        (cond("employees", "gte", 100), values(employees=99), False),
        (cond("employees", "lte", 100), values(employees=5), True),
        (cond("employees", "lte", 100), values(employees=None), False),
        (
            cond("estimated_value", "gte", "50000"),
            values(estimated_value=Decimal("50000.00")),
            True,
        ),
        (
            cond("estimated_value", "lte", "1000.50"),
            values(estimated_value=Decimal("1000.51")),
            False,
        ),
        (cond("rating", "equals", LeadRating.HOT), values(rating=1), True),
        (cond("campaign", "in", [3, 4]), values(campaign=4), True),
        (cond("capture_form", "equals", 2), values(capture_form=2), True),
        (cond("business_unit", "not_in", [9]), values(business_unit=5), True),
        (cond("industry", "empty"), values(industry=None), True),
        (cond("industry", "empty"), values(industry=26), False),
        (cond("country", "empty"), values(country=""), True),
        (cond("channel_partner", "equals", 5), values(channel_partner=5), True),
    ],
)
def test_each_operator(condition, lead, expected):
    assert condition_holds(clean_condition(condition), lead) is expected


@pytest.mark.parametrize(
    "condition,message",
    [
        (cond("colour", "equals", "red"), "Choose a lead field"),
        (cond("source", "contains", "We"), "operator is one of"),
        (cond("employees", "in", [1, 2]), "operator is one of"),
        (cond("source", "equals", 99), "Source is needs one of the listed values"),
        (cond("source", "in", []), "one or more"),
        (cond("employees", "gte", "many"), "needs a whole number"),
        (cond("employees", "gte", "1.5"), "needs a whole number"),
        (cond("estimated_value", "lte", "NaN"), "needs a number"),
        (cond("country", "equals", "  "), "needs some text"),
        (cond("campaign", "equals", "x"), "listed records"),
        ("source is web", "A condition is a field"),
    ],
)
def test_malformed_conditions_are_refused(condition, message):
    with pytest.raises(ValidationError, match=message):
        clean_condition(condition)


def test_validate_conditions_refuses_unnormalised_or_non_list():
    validate_conditions([cond("source", "in", [8, 7])])
    with pytest.raises(ValidationError):
        validate_conditions({"field": "source"})
    with pytest.raises(ValidationError):
        validate_conditions([cond("source", "in", ["8"])])


def test_conditions_in_words():
    labels = {("campaign", 3): "Spring fair"}
    assert (
        describe_condition(clean_condition(cond("source", "in", [8, 7])))
        == "source in Web, Trade Show"
    )
    assert (
        describe_condition(cond("campaign", "equals", 3), labels)
        == "campaign is Spring fair"
    )
    assert (
        describe_condition(cond("estimated_value", "gte", "50000"))
        == "est. value ≥ 50,000.00"
    )
    assert describe_condition(cond("employees", "lte", 1000)) == ("employees ≤ 1,000")
    assert describe_condition(cond("industry", "empty")) == "industry is empty"


# --- rules: levels, order --------------------------------------------------------------

PARENTS = {1: None, 2: 1, 3: 2}  # root 1 > region 2 > office 3


def test_empty_rule_set_matches_nothing():
    assert match_rule([], values(source=8), [3, 2, 1]) is None


def test_order_decides_within_a_level_and_first_match_wins():
    late = rule(1, "late", order=20, conditions=[cond("source", "equals", 8)])
    early = rule(2, "early", order=10, conditions=[cond("source", "equals", 8)])
    found = match_rule([late, early], values(source=8), [])
    assert found.rule is early


def test_all_conditions_must_hold():
    both = rule(
        1,
        conditions=[cond("source", "equals", 8), cond("country", "equals", "UK")],
    )
    assert match_rule([both], values(source=8, country="DE"), []) is None
    found = match_rule([both], values(source=8, country="UK"), [])
    assert len(found.conditions) == 2


def test_partner_rules_before_unit_rules_before_organisation_rules():
    org_rule = rule(1, "org", order=1)
    unit_rule = rule(2, "unit", order=50, unit=2)
    partner_rule = rule(3, "partner", order=99, partner=7)
    rules = [org_rule, unit_rule, partner_rule]
    ancestry = unit_ancestry(3, PARENTS)
    assert ancestry == [3, 2, 1]
    lead = values(business_unit=3, channel_partner=7)
    assert match_rule(rules, lead, ancestry).rule is partner_rule
    other_partner = values(business_unit=3, channel_partner=8)
    assert match_rule(rules, other_partner, ancestry).rule is unit_rule
    elsewhere = values(business_unit=9)
    assert match_rule(rules, elsewhere, [9]).rule is org_rule


def test_unit_rules_apply_to_children_nearest_unit_first():
    region = rule(1, "region", order=1, unit=2)
    office = rule(2, "office", order=50, unit=3)
    ancestry = unit_ancestry(3, PARENTS)
    lead = values(business_unit=3)
    assert match_rule([region, office], lead, ancestry).rule is office
    assert match_rule([region], values(business_unit=2), [2, 1]).rule is region
    # A sibling unit's rules never apply.
    assert match_rule([office], values(business_unit=2), [2, 1]) is None


def test_inactive_rules_are_skipped():
    off = rule(1, is_active=False)
    assert match_rule([off], values(), []) is None


# --- members -------------------------------------------------------------------------


def test_round_robin_takes_the_next_eligible_after_the_cursor():
    assert next_in_turn([5, 3, 9], None, {3, 5, 9}) == 3
    assert next_in_turn([3, 5, 9], 3, {3, 5, 9}) == 5
    assert next_in_turn([3, 5, 9], 9, {3, 5, 9}) == 3
    assert next_in_turn([3, 5, 9], 3, {3, 9}) == 9
    assert next_in_turn([3, 5, 9], 3, set()) is None


def test_least_loaded_picks_fewest_open_leads_lowest_id_on_tie():
    assert least_loaded([1, 2, 3], {1: 4, 2: 1, 3: 1}, {1, 2, 3}) == 2
    assert least_loaded([1, 2, 3], {1: 4, 2: 1, 3: 1}, {1, 3}) == 3


def test_ineligible_reasons():
    assert ineligible_reason(person(1, "a"), load=0, today=TODAY) is None
    inactive = person(1, "a", is_active=False)
    assert ineligible_reason(inactive, load=0, today=TODAY) == "inactive"
    away = person(1, "a", available_for_leads=False)
    assert ineligible_reason(away, load=0, today=TODAY) == "unavailable"
    until_today = person(1, "a", available_for_leads=False, unavailable_until=TODAY)
    assert ineligible_reason(until_today, load=0, today=TODAY) == "unavailable"
    back = person(
        1,
        "a",
        available_for_leads=False,
        unavailable_until=TODAY - datetime.timedelta(days=1),
    )
    assert ineligible_reason(back, load=0, today=TODAY) is None
    full = person(1, "a", lead_capacity=3)
    assert ineligible_reason(full, load=3, today=TODAY) == "at capacity"
    assert ineligible_reason(full, load=2, today=TODAY) is None


# --- decisions in words ----------------------------------------------------------------


def situation(users, **kw):
    base = dict(
        users={u.pk: u for u in users},
        team_members={},
        loads={},
        cursors={},
        parents={1: None},
        default_owners={1: None},
        unit_names={1: "Contoso"},
        today=TODAY,
    )
    base.update(kw)
    return Situation(**base)


def test_team_round_robin_decision_names_rule_conditions_and_turn():
    ana, ben = user(11, "Ana Ruiz"), user(12, "Ben Ode")
    team = Named(name="EMEA")
    web = rule(
        1,
        "Web EMEA",
        conditions=[cond("source", "equals", 8), cond("country", "in", ["UK", "DE"])],
        target_team_id=50,
        target_team=team,
    )
    s = situation([ana, ben], team_members={50: [11, 12]}, cursors={1: 12})
    decision = decide(values(source=8, country="UK", business_unit=1), [web], s)
    assert decision.user is ana and decision.turn and decision.reason == "matched"
    assert decision.detail == (
        "matched 'Web EMEA' (source is Web; country in UK, DE) → team EMEA, "
        "round-robin turn of Ana Ruiz"
    )


def test_no_match_goes_to_the_fallback_owner():
    sam = user(5, "Sam Lee")
    s = situation([sam], fallback_owner_id=5)
    decision = decide(values(business_unit=1), [], s)
    assert decision.user is sam and decision.reason == "fallback"
    assert decision.detail == "no rule matched → fallback owner Sam Lee"


def test_team_at_capacity_goes_to_the_unit_default_owner():
    ana = user(11, "Ana Ruiz", lead_capacity=2)
    boss = user(7, "Bo Boss")
    team = Named(name="EMEA")
    web = rule(1, "Web", target_team_id=50, target_team=team, unit=1)
    s = situation(
        [ana, boss],
        team_members={50: [11]},
        loads={11: 2},
        default_owners={1: 7},
    )
    decision = decide(values(business_unit=1), [web], s)
    assert decision.user is boss and decision.reason == "team_full"
    assert decision.detail.endswith(
        "team EMEA: everyone at capacity → Contoso default owner Bo Boss"
    )


def test_nobody_eligible_leaves_the_lead_where_it_is():
    away = user(11, "Ana Ruiz", available_for_leads=False)
    target = rule(1, "To Ana", target_user_id=11)
    s = situation([away])
    decision = decide(values(business_unit=1), [target], s)
    assert decision.user is None and decision.reason == "unchanged"
    assert "Ana Ruiz: unavailable" in decision.detail


def test_apply_decision_moves_cursor_and_loads_in_memory():
    ana, ben = user(11, "Ana"), user(12, "Ben")
    team = Named(name="T")
    rr = rule(1, target_team_id=50, target_team=team)
    s = situation([ana, ben], team_members={50: [11, 12]})
    picked = []
    for _ in range(4):
        decision = decide(values(business_unit=1, source=LeadSource.WEB), [rr], s)
        apply_decision(decision, s)
        picked.append(decision.user.pk)
    assert picked == [11, 12, 11, 12]
    assert s.loads == {11: 2, 12: 2}


# --- a lead a person creates (keeper) --------------------------------------------------


def test_no_match_keeps_a_persons_lead_with_them_not_the_fallback_chain():
    rep, boss, sam = user(3, "Rae Rep"), user(7, "Bo Boss"), user(5, "Sam Lee")
    s = situation([boss, sam], default_owners={1: 7}, fallback_owner_id=5, keeper=rep)
    decision = decide(values(business_unit=1), [], s)
    assert decision.user is rep and decision.reason == "kept"
    assert decision.rule is None
    assert decision.detail == "no rule matched → kept by creator Rae Rep"


def test_a_rule_whose_team_is_full_keeps_a_persons_lead_with_them():
    rep, boss = user(3, "Rae Rep"), user(7, "Bo Boss")
    ana = user(11, "Ana Ruiz", lead_capacity=2)
    web = rule(1, "Web", target_team_id=50, target_team=Named(name="EMEA"), unit=1)
    s = situation(
        [ana, boss],
        team_members={50: [11]},
        loads={11: 2},
        default_owners={1: 7},
        keeper=rep,
    )
    decision = decide(values(business_unit=1), [web], s)
    assert decision.user is rep and decision.reason == "kept" and decision.rule is web
    assert decision.detail.endswith(
        "team EMEA: everyone at capacity → kept by creator Rae Rep"
    )


def test_a_matching_rule_still_routes_a_persons_lead():
    rep, ana = user(3, "Rae Rep"), user(11, "Ana Ruiz")
    to_ana = rule(1, "To Ana", target_user_id=11)
    s = situation([ana], keeper=rep)
    decision = decide(values(business_unit=1), [to_ana], s)
    assert decision.user is ana and decision.reason == "matched"
