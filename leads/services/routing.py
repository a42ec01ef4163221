"""Routing writes: route one lead, route many, re-route leads nobody contacted, and
the rules' own changes.

route_lead reads the rules and the situation (leads.selectors.routing.situation) in
a constant number of queries (however many rules there are), decides with the pure
engine (leads.routing), then writes the owner and one LeadAssignment row. Fairness
under concurrency: a round-robin rule's row is locked before its cursor is read,
and every candidate user's row is locked (in id order) before open leads are
counted, so concurrent routings take turns one after another and never overfill a
capacity. Routing many leads (bulk_route_leads, an import's rows) decides and
writes per batch: leads.services.routing_bulk.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from leads.exceptions import LeadClosed, TransitionRefused
from leads.models import (
    AssignmentReason,
    AssignmentTrigger,
    Lead,
    LeadAssignment,
    LeadState,
    LeadStatus,
    RoutingRule,
)
from leads.permissions import can_edit_routing_rule
from leads.routing.conditions import clean_condition
from leads.selectors.routing.situation import RuleSet, decide_for_lead, scored_values
from leads.selectors.scoring import FEATURES, feature_expressions
from leads.services.locks import _held_instance, lock_lead
from leads.services.routing_bulk import (  # noqa: F401 (the routing services)
    BulkRouteResult,
    bulk_route_leads,
    route_batch,
)
from leads.services.scoring import rescore_lead, scored_pairs
from leadsite.core.compiled import (
    SENTINEL_ID,
    SENTINEL_TIME,
    filled,
    prepared_time,
    slots_of,
)
from leadsite.core.events import emit
from leadsite.core.services import service
from leadsite.core.transactions import is_transient
from leadsite.core.versioning import changed_fields, check_version

logger = logging.getLogger(__name__)

TRIGGERS = set(AssignmentTrigger.values)


@dataclass
class RerouteResult:
    """What a response-time run did: re-routed leads (their log rows), leads that
    were no longer overdue when their turn came (another run, a call, an
    assignment got there first), and leads that failed, with why."""

    rerouted: list = field(default_factory=list)  # LeadAssignment rows
    skipped: list = field(default_factory=list)  # leads
    failed: list = field(default_factory=list)  # (lead, message)


def _lock_open(lead) -> tuple[Lead, tuple | None]:
    """The lead's row, locked, and (its scoring pairs, the time they were read at)
    read with it (None when the lead was held: leads.services.locks.holding);
    LeadClosed when it is closed."""
    # Routing never reads the qualifying opportunity: nothing joined.
    if _held_instance(lead) is not None:
        locked, read = lock_lead(lead, related=()), None
    else:
        locked, read = _lock_with_pairs(getattr(lead, "pk", lead))
    if not locked.is_editable:
        raise LeadClosed(locked)
    return locked, read


# lock_lead's lock with the lead's scoring pairs read in the same statement (its
# FEATURES are expressions on its own row, none of which routing changes): a lead
# routed to another unit is rescored by one statement (the upsert), not two.
# Compiled by the ORM once per process, like one_lead_pairs.
_LOCKING: dict = {}  # (alias, vendor) -> (sql, params, id and time slots)


def _locking_statement():
    key = (connection.alias, connection.vendor)
    if key not in _LOCKING:
        features = feature_expressions(SENTINEL_TIME)
        query = (
            Lead.objects.select_for_update(of=("self",))
            .filter(pk=SENTINEL_ID)
            .annotate(**{f"feature_{name}": features[name] for name in FEATURES})
            .order_by()
        )
        sql, params = query.query.get_compiler(using=connection.alias).as_sql()
        sentinels = [SENTINEL_ID, prepared_time(SENTINEL_TIME, connection)]
        _LOCKING[key] = (sql, list(params), slots_of(params, sentinels))
    return _LOCKING[key]


def _lock_with_pairs(pk) -> tuple[Lead, tuple]:
    """lock_lead(pk, related=()) and (the lead's scoring pairs, the time read at),
    one statement (tests/test_sql_routing.py checks both against their ORM
    reads)."""
    sql, template, slots = _locking_statement()
    now = timezone.now()
    params = filled(template, slots, [pk, prepared_time(now, connection)])
    found = list(Lead.objects.raw(sql, params, using=connection.alias))
    if not found:
        raise TransitionRefused(gettext("This lead no longer exists."))
    [locked] = found
    values = [locked.__dict__.pop(f"feature_{name}") for name in FEATURES]
    return locked, (scored_pairs(locked.state, values), now)


def _route(
    *,
    locked,
    by,
    trigger,
    ruleset=None,
    prefix="",
    exclude_owner=False,
    keep_with=None,
    now=None,
    read=None,
):
    """Decide for the `locked` (open) lead and write the owner and the log row.
    `read`: the lead's scoring pairs read with its lock (_lock_with_pairs)."""
    if trigger not in TRIGGERS:
        raise ValueError(f"Unknown routing trigger {trigger!r}.")
    ruleset = ruleset or RuleSet.load()
    # The lead's score (one query) only when a rule has a score or grade condition.
    (values,) = scored_values([locked], with_score=ruleset.reads_score)
    decision = decide_for_lead(
        values,
        ruleset=ruleset,
        lock=True,
        exclude={locked.owner_user_id} if exclude_owner else (),
        keeper=keep_with,
    )

    user = decision.user
    previous_owner = locked.owner_user_id
    if user is not None and (locked.owner_user_id != user.pk or locked.owner_team_id):
        locked.owner_user, locked.owner_team = user, None
        moved = bool(user.business_unit_id) and (
            locked.business_unit_id != user.business_unit_id
        )
        if moved:
            locked.business_unit_id = user.business_unit_id
        # Only the owner fields change, to a user row just read and locked and that
        # user's unit: nothing to validate (the owner constraint lives in the table).
        locked.save(
            update_fields=["owner_user", "owner_team", "business_unit", "modified_at"]
        )
        if moved:
            # The unit is part of what a lead is scored by (its unit's table).
            rescore_lead(locked, changed=["business_unit"], read=read)
    if decision.turn:
        # The rule's row was locked when the situation was loaded (lock=True). The
        # cursor is routing's bookkeeping, not an edit of the rule: no new version.
        RoutingRule.objects.filter(pk=decision.rule.pk).update(
            last_assigned_user_id=user.pk
        )
    reason = decision.reason
    if prefix and user is not None:
        reason = AssignmentReason.REROUTED
    entry = LeadAssignment(
        lead=locked,
        rule=decision.rule,
        assigned_user=user,
        assigned_team=None,
        reason=reason,
        detail=(prefix + decision.detail)[:300],
        trigger=trigger,
        by=by,
        created_at=now or timezone.now(),
    )
    # The related rows were just read (and locked): no existence queries for them.
    entry.full_clean(exclude=["lead", "rule", "assigned_user", "by"])
    entry.save()
    emit(
        "lead.routed",
        locked,
        trigger=trigger,
        by=getattr(by, "pk", None),
        previous_owner=previous_owner,
    )
    return entry


@service
@transaction.atomic
def route_lead(
    *,
    lead: Lead,
    by: User | None,
    trigger: str = "form",
    keep_with: User | None = None,
) -> LeadAssignment:
    """Route an open lead by the active rules and log the decision (one row).

    Skips inactive and unavailable users and users at their open-lead capacity.
    When no rule matches or the rule's target cannot take it, a lead a person
    creates (`keep_with`, that person) stays with them (reason KEPT); a lead
    nobody owns yet (capture, import) goes to its fallback owner
    (leads.routing.fallback: the nearest business unit default owner, from the
    rule's unit else the lead's, then LEADSITE_FALLBACK_OWNER), else it stays
    where it is. Sets owner and owning
    business unit. Locks the lead row, a round-robin rule's row and the candidate
    users' rows. Returns the log row; its `lead` is the fresh, saved lead. Closed
    leads raise TransitionRefused.
    """
    locked, read = _lock_open(lead)
    return _route(locked=locked, by=by, trigger=trigger, keep_with=keep_with, read=read)


def _overdue_through(rule, *, now: datetime.datetime):
    """Leads overdue through `rule` at `now`: Open/New, no completed activity, and
    their latest log row gave them to a user through `rule` before the rule's
    response time (a lead its creator kept is theirs: never taken away)."""
    cutoff = now - datetime.timedelta(hours=rule.reroute_after_hours)
    latest = LeadAssignment.objects.filter(lead=OuterRef("pk")).order_by("-id")
    due = (
        LeadAssignment.objects.filter(
            pk=OuterRef("last_assignment"), rule=rule, created_at__lte=cutoff
        )
        .exclude(assigned_user__isnull=True)
        .exclude(reason=AssignmentReason.KEPT)
    )
    return (
        Lead.objects.filter(
            state=LeadState.OPEN,
            status=LeadStatus.NEW,
            first_activity_at__isnull=True,
            assignments__rule=rule,
        )
        .annotate(last_assignment=Subquery(latest.values("pk")[:1]))
        .filter(Exists(due))
        .distinct()
    )


def overdue_leads(*, now: datetime.datetime):
    """(lead, rule) for the Open/New leads without a completed activity whose
    latest routing came through a rule with a response time that has passed by
    `now`, by lead pk (the order runs lock them in)."""
    found = []
    for rule in RoutingRule.objects.filter(
        is_active=True, reroute_after_hours__isnull=False
    ):
        found += [(lead, rule) for lead in _overdue_through(rule, now=now)]
    return sorted(found, key=lambda pair: pair[0].pk)


def reroute_overdue_leads(
    *, now: datetime.datetime | None = None, by=None
) -> RerouteResult:
    """Give each overdue lead (see overdue_leads) to the next eligible member of its
    rule's target (never the current owner) or the fallback chain; one transaction
    and one log row per lead.

    Each lead is checked again under its row lock: one that stopped being overdue
    since the list was read (another run re-routed it, someone called or took it)
    is skipped, so overlapping runs re-route a lead once. A lead that fails (busy
    past the lock timeout, closed) is reported and the run goes on."""
    now = now or timezone.now()
    result = RerouteResult()
    for lead, rule in overdue_leads(now=now):
        try:
            entry = _reroute_one(lead=lead, rule=rule, by=by, now=now)
        except ValidationError as error:
            result.failed.append((lead, " ".join(error.messages)))
        except DatabaseError as error:
            if not is_transient(error):
                logger.exception("Re-routing lead %s failed", lead.pk)
            result.failed.append((lead, _database_failure(error)))
        else:
            if entry is None:
                result.skipped.append(lead)
            else:
                result.rerouted.append(entry)
    return result


def _database_failure(error) -> str:
    if is_transient(error):
        return gettext(
            "busy (another change held it too long); the next run tries again"
        )
    return gettext("database error: %(error)s") % {"error": error}


@service
@transaction.atomic
def _reroute_one(*, lead, rule, by, now):
    """Re-route `lead` if it is still overdue through `rule` once its row is
    locked; None when it no longer is."""
    locked = lock_lead(lead, related=())
    if not _overdue_through(rule, now=now).filter(pk=locked.pk).exists():
        return None
    prefix = gettext("not contacted within %(hours)s h → re-routed: ") % {
        "hours": rule.reroute_after_hours
    }
    return _route(
        locked=locked,
        by=by,
        trigger="reroute",
        prefix=prefix,
        exclude_owner=True,
        now=now,
    )


# --- rules -----------------------------------------------------------------------------

# What an editor sets on a rule besides its conditions, grouped as the rule form and
# the admin show it: the one list the form, the admin and save_routing_rule use.
RULE_FIELD_GROUPS = {
    "rule": ("name", "order", "is_active"),
    "level": ("business_unit", "channel_partner"),
    "target": ("target_user", "target_team", "distribution", "reroute_after_hours"),
}
RULE_FIELDS = tuple(name for names in RULE_FIELD_GROUPS.values() for name in names)


def _check_may_edit(by, rule):
    if not can_edit_routing_rule(by, rule):
        raise PermissionDenied(gettext("You may not change this routing rule."))


@service
@transaction.atomic
def save_routing_rule(
    *,
    by: User,
    rule: RoutingRule | None = None,
    conditions: list,
    expected_version: int | None = None,
    **fields,
) -> RoutingRule:
    """Create (rule=None) or change a rule. Managers may only touch rules of their
    business unit and below (before and after the change); conditions are
    normalised and validated, so a malformed one is a ValidationError. `fields`:
    any of RULE_FIELDS.

    A change based on another version than the stored one (`expected_version`,
    checked under the row lock; None skips the check) raises EditConflict and
    writes nothing; a change that changes something raises the version, one that
    changes nothing saves nothing."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"save_routing_rule cannot set {', '.join(sorted(unknown))}.")
    cleaned = [clean_condition(c) for c in conditions]
    if rule is None:
        rule = RoutingRule()
    else:
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        _check_may_edit(by, rule)
        check_version(rule, expected_version)
        fields = changed_fields(rule, fields)
        if not fields and cleaned == rule.conditions:
            return rule
        rule.version += 1
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.conditions = cleaned
    _check_may_edit(by, rule)
    rule.full_clean()
    rule.save()
    return rule


@service
@transaction.atomic
def set_routing_rule_active(
    *,
    rule: RoutingRule,
    by: User,
    active: bool,
    expected_version: int | None = None,
) -> RoutingRule:
    """Switch a rule on or off (a new version when that changes it);
    `expected_version` as in save_routing_rule."""
    locked = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    _check_may_edit(by, locked)
    check_version(locked, expected_version)
    if locked.is_active != active:
        locked.is_active = active
        locked.version += 1
        locked.save(update_fields=["is_active", "version"])
    return locked


@service
@transaction.atomic
def move_routing_rule(
    *, rule: RoutingRule, by: User, up: bool, expected_version: int | None = None
) -> RoutingRule:
    """Swap a rule with its neighbour in its level (same unit or partner) and
    renumber that group 10, 20, 30… so the order stays unambiguous. Every rule
    whose order changes gets a new version; `expected_version` (None: unchecked)
    is the moved rule's, checked under its row lock (EditConflict)."""
    locked = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    _check_may_edit(by, locked)
    check_version(locked, expected_version)
    group = list(
        RoutingRule.objects.select_for_update()
        .filter(
            business_unit_id=locked.business_unit_id,
            channel_partner_id=locked.channel_partner_id,
        )
        .order_by("order", "id")
    )
    index = next(i for i, r in enumerate(group) if r.pk == locked.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(group):
        group[index], group[other] = group[other], group[index]
    for position, item in enumerate(group, start=1):
        if item.order != position * 10:
            item.order = position * 10
            item.version += 1
            item.save(update_fields=["order", "version"])
    return next(r for r in group if r.pk == locked.pk)
