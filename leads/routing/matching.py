"""Which rule a lead matches: rule levels, their precedence and the first match.

Rules are tried channel partner's first, then business units' (nearest unit of the
lead first), then the organisation's; within a level by order (then id); the first
rule whose conditions all hold wins. Rules are any objects with a RoutingRule's
attributes (is_active, order, pk, conditions, business_unit_id, channel_partner_id).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from leads.routing.conditions import condition_holds

ORGANISATION, UNIT, PARTNER = "organisation", "unit", "partner"
LEVEL_LABELS = {
    PARTNER: _("Channel partner rules"),
    UNIT: _("Business unit rules"),
    ORGANISATION: _("Organisation rules"),
}


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


def tried_rules(rules, values: dict, ancestry: list) -> list:
    """The applicable rules tried for a lead, in order, up to and including the
    first whose conditions all hold (the dry run shows their score checks)."""
    tried = []
    for rule in applicable_rules(rules, values, ancestry):
        tried.append(rule)
        if all(condition_holds(c, values) for c in rule.conditions or []):
            break
    return tried


def match_rule(rules, values: dict, ancestry: list) -> Match | None:
    """The first applicable rule whose conditions all hold, or None."""
    for rule in applicable_rules(rules, values, ancestry):
        conditions = rule.conditions or []
        if all(condition_holds(c, values) for c in conditions):
            return Match(rule=rule, conditions=list(conditions))
    return None
