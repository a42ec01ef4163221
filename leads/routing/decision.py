"""Where a lead goes and why: the matching rule's target (a user, or a member of a
team by round robin or least load), else its creator (the keeper) or its fallback
owner; with the reason in words, as the assignment log shows it."""

from dataclasses import dataclass, field

from django.utils.translation import gettext

from leads.routing.conditions import describe_condition
from leads.routing.fallback import fallback_owner
from leads.routing.matching import match_rule, unit_ancestry
from leads.routing.situation import Situation


@dataclass
class Decision:
    """Where a lead goes and why. `user` is None when it stays where it is."""

    reason: str  # matched, fallback, team_full, unchanged, kept (AssignmentReason)
    detail: str
    rule: object = None
    conditions: list = field(default_factory=list)
    user: object = None
    turn: bool = False  # a round-robin turn was taken: move the rule's cursor


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


def decide(values: dict, rules, situation: Situation) -> Decision:
    """Route one lead: match a rule, pick the member, else keep it with its
    creator (situation.keeper) or give it to its fallback owner."""
    ancestry = unit_ancestry(values.get("business_unit"), situation.parents)
    found = match_rule(rules, values, ancestry)
    keeper = situation.keeper
    if found is None:
        if keeper is not None:
            return Decision(
                "kept",
                gettext("no rule matched → kept by creator %(user)s")
                % {"user": keeper},
                user=keeper,
            )
        user, words = fallback_owner(situation, values.get("business_unit"))
        if user is None:
            return Decision(
                "unchanged", gettext("no rule matched and no fallback owner")
            )
        return Decision(
            "fallback",
            gettext("no rule matched → %(owner)s %(user)s")
            % {"owner": words, "user": user},
            user=user,
        )

    rule = found.rule
    described = "; ".join(
        describe_condition(c, situation.labels, values) for c in found.conditions
    )
    if described:
        head = gettext("matched '%(rule)s' (%(conditions)s)") % {
            "rule": rule.name,
            "conditions": described,
        }
    else:
        head = gettext("matched '%(rule)s'") % {"rule": rule.name}
    base = dict(rule=rule, conditions=found.conditions)
    if rule.target_user_id:
        target = situation.users.get(rule.target_user_id)
        why = situation.why_not(rule.target_user_id)
        if why is None:
            return Decision("matched", f"{head} → {target}", user=target, **base)
        miss = f"{head} → {target or gettext('user')}: {why}"
    else:
        members = situation.team_members.get(rule.target_team_id, [])
        eligible = {pk for pk in members if situation.why_not(pk) is None}
        team = rule.target_team
        by_load = rule.distribution == "least_loaded"
        if by_load:
            pk = least_loaded(members, situation.loads, eligible)
        else:
            pk = next_in_turn(members, situation.cursors.get(rule.pk), eligible)
        if pk is not None:
            user = situation.users[pk]
            load = situation.loads.get(pk, 0)
            if by_load:
                words = gettext("least loaded: %(user)s (%(count)s open)") % {
                    "user": user,
                    "count": load,
                }
            else:
                words = gettext("round-robin turn of %(user)s") % {"user": user}
            return Decision(
                "matched",
                gettext("%(head)s → team %(team)s, %(choice)s")
                % {"head": head, "team": team, "choice": words},
                user=user,
                turn=not by_load,
                **base,
            )
        if not members:
            state = gettext("no members")
        else:
            reasons = {situation.why_not(pk) for pk in members}
            state = (
                gettext("everyone %(reason)s") % {"reason": reasons.pop()}
                if len(reasons) == 1
                else gettext("nobody eligible")
            )
        miss = gettext("%(head)s → team %(team)s: %(state)s") % {
            "head": head,
            "team": team,
            "state": state,
        }
    if keeper is not None:
        return Decision(
            "kept",
            gettext("%(miss)s → kept by creator %(user)s")
            % {"miss": miss, "user": keeper},
            user=keeper,
            **base,
        )
    user, words = fallback_owner(
        situation, rule.business_unit_id or values.get("business_unit")
    )
    if user is None:
        return Decision(
            "unchanged",
            gettext("%(miss)s; no fallback owner") % {"miss": miss},
            **base,
        )
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
