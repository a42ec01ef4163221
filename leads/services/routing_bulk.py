"""Routing many leads at once: the same decisions, log rows, change history and
events as routing them one by one (leads.services.routing.route_lead), read and
written per batch.

A batch locks its leads (ascending pk), then reads the rules, the unit tree and the
situation of every rule its leads match once: the round-robin rules' rows are
locked before their cursors are read, then the candidate users in id order before
their open leads are counted (leads.services.locks: the lock order of route_lead,
held for the batch). The decisions are made in memory in pk order, each seeing the
turns and loads the ones before it took, as consecutive routings would. Then the
writes, each one statement for the batch (the owners one per receiving user): the
owners, the history rows, the scores of the leads moved to another unit, the
round-robin cursors (moved once, to where the last turn left them), the log rows;
then one lead.routed event per lead, in pk order, emitted as one batch of events
(leadsite.core.events.batch, kind ROUTING_BATCH) inside a chunk of deferred work
(leadsite.core.deferred): every listener still hears each lead, and the
notifications tell each one as routing it alone would, written together.
"""

import itertools
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from leads.exceptions import LeadClosed, TransitionRefused
from leads.models import AssignmentTrigger, Lead, LeadAssignment, RoutingRule
from leads.routing.decision import decide
from leads.routing.matching import match_rule, unit_ancestry
from leads.selectors.routing.situation import RuleSet, load_situation, scored_values
from leads.services.locks import lock_leads
from leads.services.scoring import score_leads
from leadsite.core.deferred import deferring
from leadsite.core.events import batch as event_batch
from leadsite.core.events import emit
from leadsite.core.history import write_update_rows
from leadsite.core.services import service

TRIGGERS = set(AssignmentTrigger.values)
# Leads routed in one transaction by bulk_route_leads: the rules' and candidates'
# row locks are held while a batch is written.
BATCH = 200
# The kind of events batch a routing batch emits its lead.routed events in (the
# notifications tell its leads one by one, written together).
ROUTING_BATCH = "routing"
# Numbers routing batches' event batches apart (in this process).
_batch_numbers = itertools.count(1)


@dataclass
class BulkRouteResult:
    routed: list = field(default_factory=list)  # LeadAssignment rows
    refused: list = field(default_factory=list)  # (lead, message)


def bulk_route_leads(
    *, leads, by, trigger: str = "bulk", batch: int = BATCH
) -> BulkRouteResult:
    """Route `leads` by the active rules as route_lead would, one after another by
    pk, in transactions of `batch` leads (not all-or-nothing): a closed or deleted
    lead is refused with why and the others are routed. Should a batch fail
    otherwise (a lock timeout, a refusal from the database), it is rolled back and
    its leads are routed one transaction each, as they were before batches, so
    the leads before the failing one keep their routing and the error is raised.
    The rules are read once per batch."""
    result = BulkRouteResult()
    ordered = sorted({lead.pk: lead for lead in leads}.values(), key=lambda x: x.pk)
    for start in range(0, len(ordered), batch):
        part = ordered[start : start + batch]
        try:
            done = _route_batch_atomic(leads=part, by=by, trigger=trigger)
        except Exception:
            # The batch was rolled back: each lead alone, so the error (raised
            # again, or a refusal) falls on the lead it belongs to.
            done = _one_by_one(part, by=by, trigger=trigger)
        result.routed += done.routed
        result.refused += done.refused
    return result


def _one_by_one(leads, *, by, trigger) -> BulkRouteResult:
    result = BulkRouteResult()
    for lead in leads:
        try:
            done = _route_batch_atomic(leads=[lead], by=by, trigger=trigger)
        except ValidationError as error:
            result.refused.append((lead, " ".join(error.messages)))
            continue
        result.routed += done.routed
        result.refused += done.refused
    return result


@service
@transaction.atomic
def _route_batch_atomic(*, leads, by, trigger) -> BulkRouteResult:
    return route_batch(leads=leads, by=by, trigger=trigger)


def route_batch(
    *, leads, by, trigger: str, keep_with=None, ruleset=None
) -> BulkRouteResult:
    """Route `leads` (saved) in the caller's transaction, as route_lead would route
    them one after another in pk order: the open ones get their owner and one log
    row each (their `lead`: the fresh, saved lead), a closed or deleted one is
    refused with why. `keep_with`: see route_lead. Locks as the module says;
    a constant number of queries besides the events' listeners (at most one
    owner update per receiving user; the notifications: the choices made for
    their kinds, the recipients' languages and one insert for the batch)."""
    if trigger not in TRIGGERS:
        raise ValueError(f"Unknown routing trigger {trigger!r}.")
    result = BulkRouteResult()
    pks = sorted({lead.pk for lead in leads})
    if not pks:
        return result
    locked = lock_leads(Lead.objects.all(), pks)
    given = {lead.pk: lead for lead in leads}
    open_leads = []
    for pk in pks:
        lead = locked.get(pk)
        if lead is None:
            gone = TransitionRefused(gettext("This lead no longer exists."))
            result.refused.append((given[pk], " ".join(gone.messages)))
        elif not lead.is_editable:
            result.refused.append((given[pk], " ".join(LeadClosed(lead).messages)))
        else:
            open_leads.append(lead)
    if not open_leads:
        return result
    ruleset = ruleset or RuleSet.load()
    values = scored_values(open_leads, with_score=ruleset.reads_score)
    found = [
        match_rule(ruleset.rules, v, unit_ancestry(v["business_unit"], ruleset.parents))
        for v in values
    ]
    matched = list({m.rule.pk: m.rule for m in found if m is not None}.values())
    situation = load_situation(
        ruleset=ruleset,
        rules=matched,
        unit_ids={v["business_unit"] for v in values},
        lock=True,
        keeper=keep_with,
    )
    now = timezone.now()
    moves, entries, previous, turns, moved = {}, [], {}, {}, []
    for lead, lead_values, match in zip(open_leads, values, found, strict=True):
        decision = decide(lead_values, [match.rule] if match else [], situation)
        user = decision.user
        previous[lead.pk] = lead.owner_user_id
        if user is not None and (lead.owner_user_id != user.pk or lead.owner_team_id):
            _take(situation.loads, user.pk, lead.owner_user_id)
            lead.owner_user, lead.owner_team = user, None
            if user.business_unit_id and lead.business_unit_id != user.business_unit_id:
                lead.business_unit_id = user.business_unit_id
                moved.append(lead.pk)
            lead.modified_at = now
            moves.setdefault(user.pk, (user, []))[1].append(lead)
        if decision.turn:
            situation.cursors[decision.rule.pk] = turns[decision.rule.pk] = user.pk
        entry = LeadAssignment(
            lead=lead,
            rule=decision.rule,
            assigned_user=user,
            assigned_team=None,
            reason=decision.reason,
            detail=decision.detail[:300],
            trigger=trigger,
            by=by,
            created_at=now,
        )
        # The related rows were just read (and locked): no existence queries for them.
        entry.full_clean(exclude=["lead", "rule", "assigned_user", "by"])
        entries.append(entry)
    _write_owners(moves, now=now)
    if moved:
        # The unit is part of what a lead is scored by (its unit's table).
        score_leads(sorted(moved))
    for rule_id, user_id in turns.items():
        # Routing's bookkeeping, not an edit of the rule: no new version.
        RoutingRule.objects.filter(pk=rule_id).update(last_assigned_user_id=user_id)
    LeadAssignment.objects.bulk_create(entries)
    with event_batch(ROUTING_BATCH, next(_batch_numbers)), deferring():
        for entry in entries:
            lead = entry.lead
            emit(
                "lead.routed",
                lead,
                trigger=trigger,
                by=getattr(by, "pk", None),
                previous_owner=previous[lead.pk],
            )
    result.routed = entries
    return result


def _take(loads: dict, new_id, old_id) -> None:
    """The open-lead counts after a lead moved from `old_id` to `new_id`, for the
    users counted (loads holds only those whose count can change a decision)."""
    loads[new_id] = loads.get(new_id, 0) + 1
    if old_id in loads:
        loads[old_id] -= 1


def _write_owners(moves: dict, *, now) -> None:
    """The new owners (one update per receiving user) and the change-history rows
    their saves would write."""
    changed = []
    for user, leads in moves.values():
        fields = {"owner_user": user, "owner_team": None, "modified_at": now}
        if user.business_unit_id:
            fields["business_unit_id"] = user.business_unit_id
        Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(**fields)
        changed += leads
    if not changed:
        return
    changed.sort(key=lambda lead: lead.pk)
    write_update_rows(changed)
