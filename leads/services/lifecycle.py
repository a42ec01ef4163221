"""Writes for a lead's life: create, edit, mark contacted, disqualify, reactivate,
assign, and their bulk forms.

Every service that changes an existing lead locks its row (select_for_update), re-reads
the state under the lock and raises TransitionRefused with a message for the user when
the step is no longer allowed (stale page, double click, a second user). Transitions
receive `by=` and `description=` so django-fsm-log records who did what and why.
Callers get back the fresh, locked-and-saved instance, not the one they passed in.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import Team, User
from leads.exceptions import LeadClosed, TransitionRefused, closed_message
from leads.models import (
    DISQUALIFY_REASONS,
    Lead,
    LeadStatus,
)
from leads.services.locks import lock_lead
from leads.services.ownership import (
    NOT_REASSIGNED,
    PROTECTED,
    log_assignment,
    set_owner,
)
from leads.services.routing import route_lead
from leads.services.scoring import count_closed, rescore_lead, score_leads
from leads.submissions import claim_submission, record_submission
from leadsite.core.events import emit
from leadsite.core.services import service, through
from leadsite.core.transactions import covered_step
from leadsite.core.validation import full_clean
from leadsite.core.versioning import changed_fields, check_version

# Fields update_lead accepts: the editable ones, never owner, state or links.
_NOT_EDITABLE = {"owner_user", "owner_team", "business_unit", "status", "state"}


def transition_refusal(
    lead: Lead, name: str, *, by: User | None, wrong_state: str = ""
) -> str:
    """Why transition `name` may not run on `lead` now ("" when it may).

    The state machine decides (source states, `conditions=`, `permission=` on the
    model's transition, as get_available_user_status_transitions does for the
    buttons); this only words the refusal: `wrong_state` when the lead is not in a
    source state (default: why a closed lead cannot change), a failed condition's
    own `refusal`, or a missing permission. `by=None` is an automatic step.
    """
    transition = getattr(Lead, name)._django_fsm.get_transition(lead.status)
    if transition is None:
        return wrong_state or closed_message(lead)
    for condition in transition.conditions:
        if not condition(lead):
            refusal = condition.refusal
            return refusal(lead) if callable(refusal) else refusal.format(lead=lead)
    if by is not None and not transition.has_perm(lead, by):
        label = transition.custom.get("label", name)
        return gettext("You are not allowed to “%(action)s” leads.") % {"action": label}
    return ""


def refuse_unless_allowed(
    lead: Lead, name: str, *, by: User | None, wrong_state: str = ""
) -> None:
    """Raise TransitionRefused with transition_refusal's reason, if there is one."""
    refusal = transition_refusal(lead, name, by=by, wrong_state=wrong_state)
    if refusal:
        raise TransitionRefused(refusal)


def _save_transition(lead: Lead, *fields: str) -> None:
    """Save a transition's fields; the state changed, so the version moves on (an
    edit form or API client holding the old version is told, not overwritten)."""
    lead.version += 1
    lead.save(update_fields=["status", "state", "modified_at", "version", *fields])


@service
@transaction.atomic
def create_lead(
    *,
    by: User,
    assign_to_me: bool = False,
    trigger: str = "form",
    submission_token: str | None = None,
    **fields,
) -> Lead:
    """Create an open (New) lead and route it (leads.services.routing.route_lead,
    logged with `trigger`) unless an owner is given or `assign_to_me` keeps it
    with `by`.

    The owner defaults to `by` when neither owner_user nor owner_team is given, and
    a lead `by` creates stays with them unless a rule actually routes it: no match,
    or a rule whose target cannot take it, keeps it with `by` (logged as KEPT),
    never the fallback owner (that chain is for leads nobody owns yet: capture,
    imports). The owning business unit is the owner's (then the creator's).
    Validates with full_clean, so a missing topic or last name is a
    ValidationError. With the form's `submission_token`, a second POST of the same
    form (even at the same moment) returns the lead the first one created
    (leads.submissions).
    """
    existing = claim_submission(token=submission_token, kind="lead", by=by)
    if existing is not None:
        return Lead.objects.get(pk=existing)
    route = not (assign_to_me or fields.get("owner_user") or fields.get("owner_team"))
    if not fields.get("owner_user") and not fields.get("owner_team"):
        fields["owner_user"] = by
    owner = fields.get("owner_user") or fields.get("owner_team")
    if "business_unit" not in fields and "business_unit_id" not in fields:
        fields["business_unit_id"] = getattr(
            owner, "business_unit_id", None
        ) or getattr(by, "business_unit_id", None)
    lead = Lead(created_by=by, **fields)
    lead.full_clean(exclude=PROTECTED)
    lead.save()
    record_submission(token=submission_token, kind="lead", object_id=lead.pk)
    emit("lead.created", lead)
    # Scored before routing, so a rule on the score or grade sees it; routing
    # rescores the lead when it moves it to another business unit.
    score_leads([lead.pk])
    if route:
        lead = route_lead(lead=lead, by=by, trigger=trigger, keep_with=by).lead
    return lead


def _edited(locked: Lead, fields: dict) -> dict:
    """Put the changed ones of `fields` on the locked lead, checked (only they
    are: the others are as stored); returns them."""
    refused = _NOT_EDITABLE.intersection(fields)
    if refused:
        raise ValueError(f"update_lead cannot change {', '.join(sorted(refused))}.")
    fields = changed_fields(locked, fields)
    for name, value in fields.items():
        setattr(locked, name, value)
    if fields:
        full_clean(locked, skip_fields=PROTECTED, only=fields)
    return fields


@service
@covered_step
def update_lead(
    *, lead: Lead, by: User, expected_version: int | None = None, **fields
) -> Lead:
    """Change an open lead's editable fields; a closed lead is refused (LeadClosed,
    checked under the row lock).

    Ownership changes go through assign_lead, state changes through the transitions.
    With `expected_version` (the version the edit form was loaded at), a save over
    a change made meanwhile raises leadsite.core.versioning.EditConflict, checked under
    the row lock; the version rises with every save that changes a value (one
    that changes nothing writes nothing).
    """
    return _update(lead, by, expected_version, None, None, fields)


@service
@covered_step
def update_and_assign_lead(
    *,
    lead: Lead,
    by: User,
    expected_version: int | None = None,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    **fields,
) -> Lead:
    """update_lead, then assign_lead when an owner is given, in one save (one
    history row): a mass update that sets fields and the owner. The same checks,
    refusals, log row, rescoring and events as the two in turn."""
    return _update(lead, by, expected_version, owner_user, owner_team, fields)


def _update(lead, by, expected_version, owner_user, owner_team, fields) -> Lead:
    locked = lock_lead(lead)
    if not locked.is_editable:
        raise LeadClosed(locked)
    check_version(locked, expected_version)
    fields = _edited(locked, fields)
    previous_owner = NOT_REASSIGNED
    if owner_user or owner_team:
        previous_owner = set_owner(locked, owner_user, owner_team)
    elif not fields:
        return locked
    written = [*fields, "modified_at"]
    if fields:
        locked.version += 1
        written.append("version")
    if previous_owner is not NOT_REASSIGNED:
        written += ["owner_user", "owner_team", "business_unit"]
    # Only what changed is written (the row is locked; the rest is as read).
    locked.save(update_fields=written)
    if fields:
        rescore_lead(locked, changed=fields)
        emit("lead.updated", locked)
    if previous_owner is not NOT_REASSIGNED:
        log_assignment(locked, by, owner_user, owner_team, previous_owner)
    return locked


@service
@covered_step
def mark_contacted(*, lead: Lead, by: User | None, description: str = "") -> Lead:
    """Open/New → Open/Contacted. `by` may be None for an automatic step."""
    locked = lock_lead(lead)
    refuse_unless_allowed(
        locked,
        "mark_contacted",
        by=by,
        wrong_state=gettext("This lead is already marked as contacted.")
        if locked.is_open
        else "",
    )
    locked.mark_contacted(by=by, description=description or None)
    _save_transition(locked)
    return locked


@service
@covered_step
def disqualify_lead(
    *, lead: Lead, by: User, reason: int, description: str = ""
) -> Lead:
    """Open → Disqualified with reason 4–7 (Lost, Cannot Contact, No Longer
    Interested, Canceled); stamps closed_at.

    Refused while an open opportunity that came from this lead exists (a lead
    reactivated after qualification keeps its opportunity).
    """
    if reason not in DISQUALIFY_REASONS:
        raise ValidationError(
            {
                "reason": gettext(
                    "Choose one of the disqualification reasons in the list."
                )
            }
        )
    locked = lock_lead(lead)
    refuse_unless_allowed(
        locked,
        "disqualify",
        by=by,
        wrong_state=gettext("This lead is already disqualified.")
        if locked.is_disqualified and not locked.merged
        else "",
    )
    locked.disqualify(reason=LeadStatus(reason), by=by, description=description or None)
    _save_transition(locked, "closed_at")
    count_closed([locked.pk], +1)
    emit("lead.disqualified", locked)
    return locked


@service
@covered_step
def reactivate_lead(*, lead: Lead, by: User, description: str = "") -> Lead:
    """Qualified or Disqualified → Open/New.

    Keeps everything: notes, attachments, links and the records qualification created
    (qualifying_* stay set). A lead merged into another stays closed.
    """
    locked = lock_lead(lead)
    refuse_unless_allowed(
        locked,
        "reactivate",
        by=by,
        wrong_state=gettext("This lead is already open."),
    )
    count_closed([locked.pk], -1)
    locked.reactivate(by=by, description=description or None)
    _save_transition(locked, "qualified_at", "closed_at")
    score_leads([locked.pk])
    emit("lead.reactivated", locked)
    return locked


@service
@covered_step
def assign_lead(
    *,
    lead: Lead,
    by: User,
    owner_user: User | None = None,
    owner_team: Team | None = None,
) -> Lead:
    """Give an open lead to a user or a team (exactly one) and log it (reason MANUAL);
    a closed lead is refused (LeadClosed, checked under the row lock).

    The owning business unit follows the new owner when the owner has one.
    """
    if bool(owner_user) == bool(owner_team):
        raise ValidationError(
            gettext("Assign the lead to a user or to a team, exactly one.")
        )
    locked = lock_lead(lead)
    if not locked.is_editable:
        raise LeadClosed(locked)
    previous_owner = set_owner(locked, owner_user, owner_team)
    locked.save(
        update_fields=["owner_user", "owner_team", "business_unit", "modified_at"]
    )
    log_assignment(locked, by, owner_user, owner_team, previous_owner)
    return locked


@dataclass
class BulkResult:
    """What a bulk action did: the leads it changed and, per refused lead, why."""

    changed: list[Lead] = field(default_factory=list)
    refused: list[tuple[Lead, str]] = field(default_factory=list)


def _bulk(leads, action) -> BulkResult:
    # Each lead in its own transaction: one closed or changed lead does not undo
    # the others; the result says which were refused and why. Ordered by pk so two
    # bulk actions over overlapping sets lock rows in the same order.
    result = BulkResult()
    with through("bulk"):
        for lead in sorted(leads, key=lambda item: item.pk):
            try:
                result.changed.append(action(lead))
            except ValidationError as error:
                result.refused.append((lead, " ".join(error.messages)))
    return result


@service
def bulk_assign_leads(
    *, leads, by: User, owner_user: User | None = None, owner_team: Team | None = None
) -> BulkResult:
    """assign_lead for each lead, each in its own transaction (not all-or-nothing)."""
    return _bulk(
        leads,
        lambda lead: assign_lead(
            lead=lead, by=by, owner_user=owner_user, owner_team=owner_team
        ),
    )


@service
def bulk_disqualify_leads(
    *, leads, by: User, reason: int, description: str = ""
) -> BulkResult:
    """disqualify_lead for each lead, each in its own transaction (not all-or-nothing)."""
    if reason not in DISQUALIFY_REASONS:
        raise ValidationError(
            {
                "reason": gettext(
                    "Choose one of the disqualification reasons in the list."
                )
            }
        )
    return _bulk(
        leads,
        lambda lead: disqualify_lead(
            lead=lead, by=by, reason=reason, description=description
        ),
    )
