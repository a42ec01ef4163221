"""Reads for trying routing without writing: the dry run of a rule set over recent
leads (the routing page and the rule form) and the lead form's preview of where a
new lead will go. Both decide with the pure engine (leads.routing) in the
situation leads.selectors.routing.situation loads, and write nothing."""

import copy
from dataclasses import dataclass, field

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leads.models import Lead, RoutingRule
from leads.routing.conditions import SCORE_FIELDS, describe_check, lead_values
from leads.routing.decision import apply_decision, decide
from leads.routing.matching import tried_rules, unit_ancestry
from leads.selectors.leads import list_leads
from leads.selectors.routing.pages import rules_queryset
from leads.selectors.routing.situation import (
    RuleSet,
    load_situation,
    reads_score,
    scored_values,
)

AS_IF_ACTIVE = _("inactive: tried as if active")


@dataclass
class DryRunRow:
    lead: Lead
    rule: object
    rule_label: str  # the rule's name, saying when it was tried as if active
    would: object  # the user the lead would go to, or None (stays)
    now: object  # its owner today (user or team)
    detail: str
    differs: bool
    score: int | None = None  # the lead's score and grade, when a rule reads them
    grade: str | None = None
    # (rule label, "score 82 ≥ 70 ✓") for each score or grade condition of the
    # rules tried for the lead, up to the one that matched
    checks: list = field(default_factory=list)


@dataclass
class DryRunResult:
    rows: list
    per_assignee: list  # (name, would get, owns today among these leads)
    per_rule: list  # (rule label, leads)
    changed: int
    chart: dict
    as_if_active: list  # inactive rules tried as if active
    left_out: list  # inactive rules not tried
    reads_score: bool = False  # a rule tried has a score or grade condition


def _as_if_active(rule: RoutingRule) -> RoutingRule:
    """A copy of the inactive `rule` that routing treats as active, marked so the
    dry run can say so; the rule itself (a form's instance) is left as it is."""
    trial = copy.copy(rule)
    trial.is_active = True
    trial.tried_as_if_active = True
    return trial


def rule_label(rule) -> str:
    """The rule's name, with "(inactive: tried as if active)" for a dry run's trial
    copy of an inactive rule."""
    if getattr(rule, "tried_as_if_active", False):
        return f"{rule.name} ({AS_IF_ACTIVE})"
    return rule.name


def dry_run(
    *,
    user,
    rule: RoutingRule | None = None,
    limit: int = 500,
    inactive=(),
    saved: list | None = None,
) -> DryRunResult:
    """Replay the last `limit` leads in the user's scope (oldest of them first)
    against the saved active rules, with `rule` (saved or not, possibly edited)
    taking its saved version's place, plus the saved inactive rules whose ids are
    in `inactive`. An inactive rule tried (`rule` unticked "Active", or one of
    `inactive`) is tried as if active, since trying a rule before switching it on
    is what a dry run is for; the result names those (`as_if_active`, and each
    row's `rule_label`) and the inactive rules left out (`left_out`). `saved`: the
    saved rules, when the caller has read them (list_routing_rules). Round-robin
    cursors and open-lead counts start from today's values and move in memory
    only: nothing is written. Constant queries: leads, rules, units, members,
    users, loads, labels."""
    wanted = set(inactive)
    replaced = rule.pk if rule is not None else None
    rules, as_if_active, left_out = [], [], []
    for saved_rule in rules_queryset() if saved is None else saved:
        if replaced is not None and saved_rule.pk == replaced:
            continue
        if saved_rule.is_active:
            rules.append(saved_rule)
        elif saved_rule.pk in wanted:
            rules.append(_as_if_active(saved_rule))
            as_if_active.append(saved_rule)
        else:
            left_out.append(saved_rule)
    if rule is not None:
        if not rule.is_active:
            as_if_active.append(rule)
            rule = _as_if_active(rule)
        rules.append(rule)
    ruleset = RuleSet.load(rules)
    leads = list(
        list_leads(user=user)
        .select_related("owner_user", "owner_team")
        .order_by("-created_at", "-id")[:limit]
    )
    leads.reverse()
    situation = load_situation(ruleset=ruleset, rules=rules)
    scored = reads_score(rules)
    rows, would_count, now_count, rule_count = [], {}, {}, {}
    for lead, values in zip(
        leads, scored_values(leads, with_score=scored), strict=True
    ):
        decision = decide(values, ruleset.rules, situation)
        apply_decision(decision, situation, lead.owner_user_id)
        target = decision.user or lead.owner  # nobody eligible: it stays
        owner = lead.owner
        label = rule_label(decision.rule) if decision.rule else None
        rows.append(
            DryRunRow(
                lead=lead,
                rule=decision.rule,
                rule_label=label,
                would=target,
                now=owner,
                detail=decision.detail,
                differs=target != owner,
                score=values["score"],
                grade=values["grade"],
                checks=_score_checks(ruleset, values) if scored else [],
            )
        )
        would_count[str(target)] = would_count.get(str(target), 0) + 1
        now_count[str(owner)] = now_count.get(str(owner), 0) + 1
        name = label or gettext("No rule matched")
        rule_count[name] = rule_count.get(name, 0) + 1
    names = sorted(
        set(would_count) | set(now_count), key=lambda n: -would_count.get(n, 0)
    )
    per_assignee = [
        (
            n,
            would_count.get(n, 0),
            now_count.get(n, 0),
            _signed(n, would_count, now_count),
        )
        for n in names
    ]
    return DryRunResult(
        rows=rows,
        per_assignee=per_assignee,
        per_rule=sorted(rule_count.items(), key=lambda item: -item[1]),
        changed=sum(row.differs for row in rows),
        chart={
            "labels": names,
            "would": [would_count.get(n, 0) for n in names],
            "now": [now_count.get(n, 0) for n in names],
        },
        as_if_active=as_if_active,
        left_out=left_out,
        reads_score=scored,
    )


def _score_checks(ruleset: RuleSet, values: dict) -> list:
    """(rule label, check in words) of every score or grade condition of the rules
    tried for the lead (leads.routing.matching.tried_rules)."""
    ancestry = unit_ancestry(values.get("business_unit"), ruleset.parents)
    return [
        (rule_label(rule), describe_check(condition, values))
        for rule in tried_rules(ruleset.rules, values, ancestry)
        for condition in rule.conditions or []
        if condition["field"] in SCORE_FIELDS
    ]


@dataclass
class RoutingPreview:
    """Where a new lead would go if its creator saved it now."""

    stays: bool  # it stays with its creator
    owner: object  # who would own it
    rule: object  # the rule that matched, or None
    detail: str  # the decision in words, as the assignment log would say it
    assigned_to_me: bool = False  # "Assign to me" keeps it: no rule applied


def routing_preview(
    *, user, fields: dict, assign_to_me: bool = False
) -> RoutingPreview:
    """Where a lead `user` creates with the lead form's `fields` (Lead field name ->
    value; its unit is `user`'s, as create_lead sets it) would go: the active
    rules, today's turns and open-lead counts, decided by leads.routing.decision
    with `user` as the keeper, as create_lead routes it; with `assign_to_me` it
    stays, unrouted. Reads only; constant queries (rules, units, members, users,
    loads, labels). A round-robin turn or a capacity may have moved by the time
    the lead is saved."""
    if assign_to_me:
        return RoutingPreview(
            stays=True, owner=user, rule=None, detail="", assigned_to_me=True
        )
    rules = list(rules_queryset().filter(is_active=True))
    ruleset = RuleSet.load(rules)
    draft = Lead(business_unit_id=user.business_unit_id, **fields)
    situation = load_situation(
        ruleset=ruleset, rules=rules, unit_ids=[draft.business_unit_id], keeper=user
    )
    decision = decide(lead_values(draft), ruleset.rules, situation)
    return RoutingPreview(
        stays=decision.user == user,
        owner=decision.user or user,
        rule=decision.rule,
        detail=decision.detail,
    )


def _signed(name, would, now) -> str:
    difference = would.get(name, 0) - now.get(name, 0)
    return (
        f"+{difference}"
        if difference > 0
        else (f"−{-difference}" if difference else "—")
    )
