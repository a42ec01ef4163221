"""Reads for the routing pages: rules by level with hit counts, the unassigned
queue, the assignment log (through the scope gate) and a lead's routing history;
the rules, people and loads routing decides with (RuleSet). The dry run and the
lead form's preview are in leads.selectors.routing_dry_run."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, router
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from accounts.models import Account, BusinessUnit, Team
from accounts.permissions import scope_q, team_ids
from leads import routing
from leads.models import (
    Campaign,
    CaptureForm,
    Lead,
    LeadAssignment,
    LeadState,
    RoutingRule,
)
from leads.permissions import can_edit_routing_rule, can_manage_routing
from leads.selectors.leads import has_any, list_leads
from leadsite.core.pagination import count_capped

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


def rules_queryset():
    return RoutingRule.objects.select_related(
        "business_unit", "channel_partner", "target_user", "target_team"
    ).order_by("order", "id")


def list_routing_rules(*, user=None) -> list[RoutingRule]:
    """Every rule (active and inactive) in evaluation order within its level, each
    with `conditions_text`, `hits` (log rows in the last 30 days) and `can_edit`
    for `user`. Rules are organisation settings: every signed-in user may read
    them. Constant queries: rules, hit counts, and one per kind of named record."""
    rules = list(rules_queryset())
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
