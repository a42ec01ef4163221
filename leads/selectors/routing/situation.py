"""What a routing decision reads: the rule set (active rules and the unit tree) and
the situation (leads.routing.situation): the people the decision may pick, their
open-lead counts, the teams' members and round-robin turns, and the names its words
use.

load_situation is the one builder of a Situation: the routing service (which locks
what it reads), the dry run and the lead form's preview all call it. Whom to read
is decided by the pure leads.routing.situation.candidate_ids.

scored_values gives the engine the leads' values with their score and grade (the
engine imports no models), read only when a rule has a score or grade condition.

The rules with the unit tree, the turns with the teams' members and the users are
read by the hand-written statements of leads.sql_routing (README, "Performance",
"Hand-written SQL"); the rest through the ORM.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from accounts.models import Account, BusinessUnit, Team
from leads.models import (
    Campaign,
    CaptureForm,
    Distribution,
    Lead,
    LeadScore,
    LeadState,
)
from leads.routing.conditions import FIELDS, REF, SCORE_FIELDS, lead_values
from leads.routing.decision import decide
from leads.routing.matching import match_rule, unit_ancestry
from leads.routing.situation import Situation, candidate_ids
from leads.scoring.grades import grade
from leads.selectors.scoring import scoring_config
from leads.sql_routing import (
    active_rules_and_units,
    business_unit_rows,
    candidate_users,
    team_rule_rows,
)

ROUND_ROBIN, LEAST_LOADED = Distribution.ROUND_ROBIN, Distribution.LEAST_LOADED
_LABEL_MODELS = {
    "campaign": Campaign,
    "channel_partner": Account,
    "capture_form": CaptureForm,
}


@dataclass
class RuleSet:
    """The configuration routing reads: active rules and the unit tree. Loaded once
    per routing (or once per bulk run)."""

    rules: list
    parents: dict
    default_owners: dict
    unit_names: dict

    @classmethod
    def load(cls, rules=None) -> "RuleSet":
        """The active rules (or `rules`, when given) and the unit tree."""
        if rules is None:
            # The active rules with their teams (the team names the decision; target
            # users come with the candidates) and the unit tree, in one statement.
            # Unordered: leads.routing.matching sorts the rules it applies.
            rules, units = active_rules_and_units()
        else:
            units = business_unit_rows()
        parents, owners, names = {}, {}, {}
        for pk, parent_id, owner_id, name in units:
            parents[pk], owners[pk], names[pk] = parent_id, owner_id, name
        return cls(
            rules=rules, parents=parents, default_owners=owners, unit_names=names
        )

    @property
    def reads_score(self) -> bool:
        """Whether a rule has a score or grade condition (only then is the lead's
        score read)."""
        return reads_score(self.rules)


def reads_score(rules) -> bool:
    """Whether any of `rules` has a score or grade condition."""
    return any(
        c["field"] in SCORE_FIELDS for rule in rules for c in rule.conditions or []
    )


def scored_values(leads, *, with_score: bool = True) -> list[dict]:
    """lead_values of each of `leads` (saved), with its score as shown (a pinned
    score when pinned) and its grade by the current thresholds (read once): one
    query for all of them. Without `with_score` (no rule reads it) no query, and
    every score is None."""
    scores, thresholds = {}, None
    if with_score and leads:
        thresholds = scoring_config().thresholds
        scores = dict(
            LeadScore.objects.filter(lead_id__in=[lead.pk for lead in leads])
            .values_list("lead_id", "score")
            .order_by()
        )
    values = []
    for lead in leads:
        score = scores.get(lead.pk)
        values.append(
            lead_values(
                lead,
                score=score,
                grade=grade(score, thresholds) if score is not None else None,
            )
        )
    return values


def condition_labels(conditions) -> dict:
    """(field, id) → name for the record conditions among `conditions`; one query
    per kind of record named (at most four)."""
    wanted: dict[str, set] = {}
    for condition in conditions:
        if FIELDS[condition["field"]].kind == REF and condition["value"] not in (
            None,
            [],
        ):
            value = condition["value"]
            wanted.setdefault(condition["field"], set()).update(
                value if isinstance(value, list) else [value]
            )
    labels = {}
    for name, ids in wanted.items():
        model = _LABEL_MODELS.get(name, BusinessUnit)
        for pk, label in model.objects.filter(pk__in=ids).values_list("pk", "name"):
            labels[(name, pk)] = label
    return labels


def open_loads(users: dict, *, least_loaded=()) -> dict:
    """user id → number of open leads they own, for the users whose load can change
    a decision: those with a lead capacity, and the members of least-loaded teams
    (`least_loaded`). Nobody else is counted (a missing id reads as 0, and nothing
    compares it). COUNT(*), so the (owner, state, created) index answers it alone."""
    wanted = [
        pk
        for pk, user in users.items()
        if user.lead_capacity is not None or pk in least_loaded
    ]
    if not wanted:
        return {}
    rows = (
        Lead.objects.filter(owner_user_id__in=wanted, state=LeadState.OPEN)
        .values_list("owner_user_id")
        .annotate(n=Count("*"))
        .order_by()
    )
    return dict(rows)


def _turns(rules, *, lock: bool) -> tuple[dict, dict]:
    """(team id -> member ids in id order, rule id -> round-robin cursor) for the
    team rules among `rules`; one query.

    With `lock`, the rules' rows are read with their members, locked when one of
    them shares by round robin (the rule's row only, not the team's): concurrent
    routings through the rule wait here in line, and each reads the cursor the
    one before it moved. Without, the cursors are the rules' own (the dry run
    tries rules that are not saved, or edited)."""
    team_of = {r.pk: r.target_team_id for r in rules if r.target_team_id}
    if not team_of:
        return {}, {}
    turned = [
        r.pk
        for r in rules
        if r.target_team_id and r.distribution == ROUND_ROBIN and r.pk
    ]
    members = {team_id: set() for team_id in team_of.values()}
    if lock:
        saved = {}
        rows = team_rule_rows(list(team_of), lock=bool(turned))
        for rule_id, cursor_id, user_id in rows:
            saved[rule_id] = cursor_id
            if user_id is not None:
                members[team_of[rule_id]].add(user_id)
    else:
        saved = {r.pk: r.last_assigned_user_id for r in rules if r.pk in turned}
        for team_id, user_id in Team.members.through.objects.filter(
            team_id__in=members
        ).values_list("team_id", "user_id"):
            members[team_id].add(user_id)
    cursors = {pk: saved.get(pk) for pk in turned}
    return {team: sorted(ids) for team, ids in members.items()}, cursors


def load_situation(
    *,
    ruleset: RuleSet,
    rules,
    unit_ids=None,
    lock: bool = False,
    exclude=(),
    keeper=None,
) -> Situation:
    """The situation a decision over `rules` reads, from the database as it is now.

    `rules`: the rules whose targets the decision may pick (the routing service:
    the one the lead matched; the dry run: every rule it tries). `unit_ids`: the
    units of the leads to decide, whose default owners (up the tree) are read;
    None for every unit's. The LEADSITE_FALLBACK_OWNER user is read too.
    `lock` (the routing service, inside its transaction): a round-robin rule's row
    is locked before its cursor is read, then the users in id order before their
    open leads are counted, so concurrent routings take turns one after another
    and never overfill a capacity (leads.services.locks: the lock order).
    `exclude`: users the lead may not go to; `keeper`: see Situation.

    Queries: members and turns (one), users (one), open leads (at most one),
    condition labels (one per kind of record named)."""
    members, cursors = _turns(rules, lock=lock)
    ids = candidate_ids(
        rules,
        members=members,
        parents=ruleset.parents,
        default_owners=ruleset.default_owners,
        unit_ids=ruleset.parents if unit_ids is None else unit_ids,
    )
    fallback = getattr(settings, "LEADSITE_FALLBACK_OWNER", "") or ""
    users = candidate_users(ids, username=fallback, lock=lock)
    least_loaded = {
        pk
        for rule in rules
        if rule.target_team_id and rule.distribution == LEAST_LOADED
        for pk in members.get(rule.target_team_id, ())
    }
    return Situation(
        users=users,
        team_members=members,
        loads=open_loads(users, least_loaded=least_loaded),
        cursors=cursors,
        parents=ruleset.parents,
        default_owners=ruleset.default_owners,
        unit_names=ruleset.unit_names,
        labels=condition_labels([c for r in rules for c in r.conditions or []]),
        fallback_owner_id=next(
            (pk for pk, u in users.items() if fallback and u.username == fallback),
            None,
        ),
        today=timezone.localdate(),
        exclude=set(exclude),
        keeper=keeper,
    )


def decide_for_lead(
    values: dict, *, ruleset: RuleSet, lock: bool = False, exclude=(), keeper=None
):
    """The routing decision for one lead (`values`: leads.routing.conditions'
    lead_values): the first matching rule of `ruleset` for the lead's unit, the
    situation of that rule's targets (load_situation; `lock` inside the routing
    service's transaction), then the engine's decision. The routing service writes
    what it decides; the API's dry run only reports it."""
    unit_id = values["business_unit"]
    found = match_rule(ruleset.rules, values, unit_ancestry(unit_id, ruleset.parents))
    rules = [found.rule] if found else []
    situation = load_situation(
        ruleset=ruleset,
        rules=rules,
        unit_ids=[unit_id],
        lock=lock,
        exclude=exclude,
        keeper=keeper,
    )
    return decide(values, rules, situation)
