"""Reads for the routing pages: rules by level with hit counts, the unassigned
queue, the assignment log (through the scope gate) and a lead's routing history.
What a routing decision reads (the rule set, the situation) is in
leads.selectors.routing.situation; the dry run and the lead form's preview are in
leads.selectors.routing.dry_run."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch
from django.utils import timezone

from accounts.models import BusinessUnit, Team
from accounts.permissions import scope_q, team_ids
from leads.models import LeadAssignment, LeadState, RoutingRule
from leads.permissions import can_edit_routing_rule, can_manage_routing
from leads.routing.conditions import describe_condition
from leads.routing.matching import (
    LEVEL_LABELS,
    ORGANISATION,
    PARTNER,
    UNIT,
    rule_level,
)
from leads.selectors.leads import has_any, list_leads
from leads.selectors.routing.situation import condition_labels
from leadsite.core.pagination import count_capped

HIT_DAYS = 30
# The routing tabs' counts and the queue and log pages count to here, then say
# "1,000+" and page on without a last page: a count stops after cap + 1 rows, so
# it costs the same at a million leads (README, Performance).
COUNT_CAP = 1_000


def rule_conditions(rule: RoutingRule, labels: dict | None = None) -> list[str]:
    """The rule's conditions in words; empty means it matches every lead."""
    return [describe_condition(c, labels) for c in rule.conditions or []]


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
    for level in (PARTNER, UNIT, ORGANISATION):
        members = [r for r in rules if rule_level(r) == level]
        members.sort(
            key=lambda r: (
                str(r.channel_partner or r.business_unit or ""),
                r.order,
                r.pk,
            )
        )
        groups.append(RuleGroup(level, LEVEL_LABELS[level], members))
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
    planner to sort all the unit's waiting leads for a page (see README,
    Performance)."""
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
