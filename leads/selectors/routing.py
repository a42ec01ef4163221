"""Reads for the routing pages: rules by level with hit counts, the unassigned
queue, the assignment log (through the scope gate) and a lead's routing history."""

import copy
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, router
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from accounts.models import Account, BusinessUnit, Team, User
from leads import routing
from leads.models import (
    Campaign,
    CaptureForm,
    Lead,
    LeadAssignment,
    LeadState,
    RoutingRule,
)
from leads.selectors.leads import has_any, list_leads
from leadsite.pagination import count_capped
from leadsite.permissions import (
    can_edit_routing_rule,
    can_manage_routing,
    scope_q,
    team_ids,
)

HIT_DAYS = 30
# The routing tabs' counts and the queue and log pages count to here, then say
# "1,000+" and page on without a last page: a count stops after cap + 1 rows, so
# it costs the same at a million leads (README, Performance).
COUNT_CAP = 1_000
_UNITS = BusinessUnit._meta.db_table
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
        if rules is None:
            rules = list(
                # Target users come with the candidates; the team names the decision.
                # Unordered: leads.routing sorts the rules it applies itself.
                RoutingRule.objects.filter(is_active=True)
                .select_related("target_team")
                .order_by()
            )
        parents, owners, names = {}, {}, {}
        # Plain SQL: four columns of a small table, read on every routing; the ORM
        # took longer to build this query than the database takes to run it.
        with connections[router.db_for_read(BusinessUnit)].cursor() as cursor:
            cursor.execute(
                f"SELECT id, parent_id, default_owner_id, name FROM {_UNITS}"
            )
            for pk, parent_id, owner_id, name in cursor.fetchall():
                parents[pk], owners[pk], names[pk] = parent_id, owner_id, name
        return cls(
            rules=rules, parents=parents, default_owners=owners, unit_names=names
        )


# What routing reads of a user: eligibility, name, unit (not the password hash).
USER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "is_active",
    "business_unit",
    "lead_capacity",
    "available_for_leads",
    "unavailable_until",
)


def fallback_owner_query() -> Q:
    """Q for the LEADSITE_FALLBACK_OWNER user (matches nobody when unset)."""
    username = getattr(settings, "LEADSITE_FALLBACK_OWNER", "") or ""
    return Q(username=username) if username else Q(pk__in=[])


def condition_labels(conditions) -> dict:
    """(field, id) → name for the record conditions among `conditions`; one query
    per kind of record named (at most four)."""
    wanted: dict[str, set] = {}
    for condition in conditions:
        if routing.FIELDS[condition["field"]].kind == routing.REF and condition[
            "value"
        ] not in (None, []):
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


def candidate_ids(rule, values, ruleset: RuleSet, *, members=()) -> set:
    """Every user id the decision may look at for `rule`: its team's `members`, its
    target user and the default owners up the lead's and the rule's units."""
    ids = set(members)
    if rule is not None and rule.target_user_id:
        ids.add(rule.target_user_id)
    units = routing.unit_ancestry(values.get("business_unit"), ruleset.parents)
    if rule is not None and rule.business_unit_id:
        units += routing.unit_ancestry(rule.business_unit_id, ruleset.parents)
    ids.update(ruleset.default_owners.get(u) for u in units)
    ids.discard(None)
    return ids


def rule_conditions(rule: RoutingRule, labels: dict | None = None) -> list[str]:
    """The rule's conditions in words; empty means it matches every lead."""
    return [routing.describe_condition(c, labels) for c in rule.conditions or []]


def _rules_queryset():
    return RoutingRule.objects.select_related(
        "business_unit", "channel_partner", "target_user", "target_team"
    ).order_by("order", "id")


def list_routing_rules(*, user=None) -> list[RoutingRule]:
    """Every rule (active and inactive) in evaluation order within its level, each
    with `conditions_text`, `hits` (log rows in the last 30 days) and `can_edit`
    for `user`. Rules are organisation settings: every signed-in user may read
    them. Constant queries: rules, hit counts, and one per kind of named record."""
    rules = list(_rules_queryset())
    since = timezone.now() - datetime.timedelta(days=HIT_DAYS)
    hits = dict(
        LeadAssignment.objects.filter(rule__isnull=False, created_at__gte=since)
        .values_list("rule_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    labels = condition_labels([c for rule in rules for c in rule.conditions or []])
    for rule in rules:
        rule.conditions_text = rule_conditions(rule, labels)
        rule.hits = hits.get(rule.pk, 0)
        rule.can_edit = user is not None and can_edit_routing_rule(user, rule)
    return rules


@dataclass
class RuleGroup:
    level: str
    label: str
    rules: list


def rules_by_level(rules) -> list[RuleGroup]:
    """Rules grouped in the order levels are tried: partner, unit, organisation;
    partner and unit rules grouped by their owner, then by order."""
    groups = []
    for level in (routing.PARTNER, routing.UNIT, routing.ORGANISATION):
        members = [r for r in rules if routing.rule_level(r) == level]
        members.sort(
            key=lambda r: (
                str(r.channel_partner or r.business_unit or ""),
                r.order,
                r.pk,
            )
        )
        groups.append(RuleGroup(level, routing.LEVEL_LABELS[level], members))
    return groups


# What a queue row shows: the lead (its name and subject, linked), company, team,
# unit and creation time; the lead's other columns are not read (but its state
# and status, which the state machine reads as each lead loads).
_QUEUE_FIELDS = [
    "state",
    "status",
    "first_name",
    "last_name",
    "subject",
    "company_name",
    "created_at",
    "owner_team",
    "business_unit",
]


def unassigned_queue(*, user):
    """Open leads owned by a team rather than a person, in the user's scope, oldest
    first (the ones waiting longest).

    A lead has a person or a team as owner, never both (lead_owner_user_xor_team),
    so of a rep's scope (own leads or their teams') only the teams' part can wait
    here: said outright, the planner reads the teams' ranges of
    lead_team_state_created instead of every team's open leads. A manager's queue
    is read in order from the partial index lead_queue_bu_created. Teams and units
    are named from two small reads after the page (prefetch): joined, they led the
    planner to sort all the unit's waiting leads for a page (150 ms at a million
    leads, against 4 ms)."""
    queue = list_leads(user=user).filter(state=LeadState.OPEN, owner_team__isnull=False)
    if not can_manage_routing(user):  # the gate's rep branch (scope_q)
        queue = queue.filter(owner_team_id__in=team_ids(user))
    return (
        queue.select_related(None)
        .only(*_QUEUE_FIELDS)
        .prefetch_related(
            Prefetch("owner_team", Team.objects.only("name")),
            Prefetch("business_unit", BusinessUnit.objects.only("name")),
        )
        .order_by("created_at", "id")
    )


# What the routing pages read of a user: the name shown.
_NAMES = ["username", "first_name", "last_name"]
# What a log row shows: the entry, its lead's name and subject, the rule's name,
# the users' and the team's names (not whole leads and users, password hashes
# included).
_LOG_FIELDS = [
    "created_at",
    "reason",
    "detail",
    "trigger",
    *(f"lead__{name}" for name in ("first_name", "last_name", "subject")),
    "lead__state",  # read by the lead's state machine as it loads
    "lead__status",
    "rule__name",
    *(f"{user}__{name}" for user in ("assigned_user", "by") for name in _NAMES),
    "assigned_team__name",
]


def _log_queryset(user):
    """Log rows are appended as routing decides, so id order is time order; ordering
    by id lets the primary key index serve the page."""
    entries = (
        LeadAssignment.objects.select_related(
            "lead", "rule", "assigned_user", "assigned_team", "by"
        )
        .only(*_LOG_FIELDS)
        .order_by("-id")
    )
    scope = scope_q(user, prefix="lead__")
    return entries if scope is None else entries.filter(scope)


@dataclass
class CappedCount:
    """A count that stops past COUNT_CAP, read like a Page's: `total` is at most
    the cap + 1, and `total_capped` says it went past (shown "1,000+")."""

    total: int
    total_capped: bool


def capped_count(queryset) -> CappedCount:
    """COUNT over at most COUNT_CAP + 1 rows of `queryset` (never the whole table)."""
    total = count_capped(queryset, COUNT_CAP)
    return CappedCount(total=total, total_capped=total > COUNT_CAP)


def assignment_log(*, user, filters: dict):
    """The assignment log in the user's scope, newest first, narrowed by the
    cleaned AssignmentLogFilterForm values (rule, assignee, reason, date range)."""
    entries = _log_queryset(user)
    if filters.get("rule"):
        entries = entries.filter(rule=filters["rule"])
    if filters.get("assignee"):
        entries = entries.filter(assigned_user=filters["assignee"])
    if filters.get("reason"):
        entries = entries.filter(reason=filters["reason"])
    if filters.get("date_from"):
        entries = entries.filter(created_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        entries = entries.filter(created_at__date__lte=filters["date_to"])
    return entries


# What the lead page's routing history shows of each entry and of its users.
_HISTORY_FIELDS = ["lead", "reason", "detail", "trigger", "created_at"]


def lead_routing_history(*, lead):
    """A lead's assignment log, newest first (the caller has already checked the
    lead is in scope)."""
    if not has_any(lead, "assignments"):
        return []
    # The page names the users and the team (str()): their other columns stay unread.
    return list(
        LeadAssignment.objects.filter(lead=lead)
        .select_related("assigned_user", "assigned_team", "by")
        .only(
            *_HISTORY_FIELDS,
            *(f"{user}__{name}" for user in ("assigned_user", "by") for name in _NAMES),
            "assigned_team__name",
        )
        .order_by("-id")
    )


def latest_assignment(*, lead) -> LeadAssignment | None:
    """The lead's latest assignment log row with its rule, or None (the caller has
    already checked the lead is in scope, or has just created it)."""
    return (
        LeadAssignment.objects.filter(lead=lead)
        .select_related("rule")
        .order_by("-id")
        .first()
    )


# --- dry run ---------------------------------------------------------------------------


AS_IF_ACTIVE = "inactive: tried as if active"


@dataclass
class DryRunRow:
    lead: Lead
    rule: object
    rule_label: str  # the rule's name, saying when it was tried as if active
    would: object  # the user the lead would go to, or None (stays)
    now: object  # its owner today (user or team)
    detail: str
    differs: bool


@dataclass
class DryRunResult:
    rows: list
    per_assignee: list  # (name, would get, owns today among these leads)
    per_rule: list  # (rule label, leads)
    changed: int
    chart: dict
    as_if_active: list  # inactive rules tried as if active
    left_out: list  # inactive rules not tried


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
    for saved_rule in _rules_queryset() if saved is None else saved:
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
    situation = _replay_situation(rules, ruleset)
    rows, would_count, now_count, rule_count = [], {}, {}, {}
    for lead in leads:
        decision = routing.decide(routing.lead_values(lead), ruleset.rules, situation)
        routing.apply_decision(decision, situation, lead.owner_user_id)
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
            )
        )
        would_count[str(target)] = would_count.get(str(target), 0) + 1
        now_count[str(owner)] = now_count.get(str(owner), 0) + 1
        name = label or "No rule matched"
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
    )


def _replay_situation(rules, ruleset: RuleSet) -> routing.Situation:
    """What routing.decide needs to replay `rules` in memory: every team member,
    target and default owner (with the fallback owner), today's open-lead counts
    and round-robin cursors. Reads only, a constant number of queries."""
    team_ids = {r.target_team_id for r in rules if r.target_team_id}
    members: dict = {}
    for team_id, user_id in (
        Team.members.through.objects.filter(team_id__in=team_ids)
        .order_by("user_id")
        .values_list("team_id", "user_id")
    ):
        members.setdefault(team_id, []).append(user_id)
    ids = {pk for group in members.values() for pk in group}
    ids |= {r.target_user_id for r in rules if r.target_user_id}
    ids |= {pk for pk in ruleset.default_owners.values() if pk}
    users = {
        u.pk: u for u in User.objects.filter(Q(pk__in=ids) | fallback_owner_query())
    }
    fallback = getattr(settings, "LEADSITE_FALLBACK_OWNER", "")
    return routing.Situation(
        users=users,
        team_members=members,
        loads=open_loads(
            users,
            least_loaded={
                pk
                for r in rules
                if r.distribution == "least_loaded"
                for pk in members.get(r.target_team_id, ())
            },
        ),
        cursors={r.pk: r.last_assigned_user_id for r in rules if r.pk},
        parents=ruleset.parents,
        default_owners=ruleset.default_owners,
        unit_names=ruleset.unit_names,
        labels=condition_labels([c for r in rules for c in r.conditions or []]),
        fallback_owner_id=next(
            (pk for pk, u in users.items() if fallback and u.username == fallback),
            None,
        ),
        today=timezone.localdate(),
    )


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
    rules, today's turns and open-lead counts, decided by leads.routing.decide
    with `user` as the keeper, as create_lead routes it; with `assign_to_me` it
    stays, unrouted. Reads only; constant queries (rules, units, members, users,
    loads, labels). A round-robin turn or a capacity may have moved by the time
    the lead is saved."""
    if assign_to_me:
        return RoutingPreview(
            stays=True, owner=user, rule=None, detail="", assigned_to_me=True
        )
    rules = list(_rules_queryset().filter(is_active=True))
    ruleset = RuleSet.load(rules)
    situation = _replay_situation(rules, ruleset)
    situation.keeper = user
    draft = Lead(business_unit_id=user.business_unit_id, **fields)
    decision = routing.decide(routing.lead_values(draft), ruleset.rules, situation)
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
