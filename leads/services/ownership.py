"""A lead's owner, as the lifecycle services change it by hand (assign_lead,
update_and_assign_lead): the new owner checked and set, the business unit following
it, and the assignment's log row and event."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from leads.exceptions import TransitionRefused
from leads.models import AssignmentReason, Lead, LeadAssignment
from leadsite.core.deferred import defer
from leadsite.core.events import emit
from leadsite.core.validation import full_clean

# full_clean would write the protected FSM field back; the DB constraint guards it.
PROTECTED = ["status"]


def untouched_relations(lead: Lead, fields: dict) -> list[str]:
    """Foreign keys a write leaves as stored: full_clean skips them, so a value that
    stopped matching limit_choices_to (a partner that is no longer a partner) never
    blocks an edit or an assignment that does not touch it."""
    names = []
    for model_field in Lead._meta.concrete_fields:
        if not model_field.many_to_one:
            continue
        # Compared by id: reading the related rows would cost a query each.
        if model_field.name not in fields:
            names.append(model_field.name)
            continue
        value = fields[model_field.name]
        if getattr(value, "pk", value) == getattr(lead, model_field.attname):
            names.append(model_field.name)
    return names


NOT_REASSIGNED = object()


def set_owner(locked: Lead, owner_user, owner_team) -> int | None:
    """Give the locked lead to the user or team (exactly one), its business unit
    following the owner's, checked; returns the previous owning user's id.
    TransitionRefused when it is theirs already."""
    if bool(owner_user) == bool(owner_team):
        raise ValidationError(
            gettext("Assign the lead to a user or to a team, exactly one.")
        )
    new_owner = owner_user or owner_team
    if locked.owner_user_id == getattr(owner_user, "pk", None) and (
        locked.owner_team_id == getattr(owner_team, "pk", None)
    ):
        raise TransitionRefused(
            gettext("This lead is already owned by %(owner)s.") % {"owner": new_owner}
        )
    untouched = untouched_relations(
        locked, {"owner_user": owner_user, "owner_team": owner_team}
    )
    previous_owner = locked.owner_user_id
    locked.owner_user = owner_user
    locked.owner_team = owner_team
    if getattr(new_owner, "business_unit_id", None):
        unit_field = type(new_owner)._meta.get_field("business_unit")
        if unit_field.is_cached(new_owner):
            # Read with the owner: full_clean needs no query to know it exists.
            locked.business_unit = new_owner.business_unit
        else:
            locked.business_unit_id = new_owner.business_unit_id
    full_clean(
        locked,
        skip_fields=PROTECTED,
        only=[
            name
            for name in ("owner_user", "owner_team", "business_unit")
            if name == "business_unit" or name not in untouched
        ],
    )
    return previous_owner


def log_assignment(locked, by, owner_user, owner_team, previous_owner) -> None:
    """The assignment's log row (reason MANUAL) and its lead.routed event."""
    logged = LeadAssignment(
        lead=locked,
        assigned_user=owner_user,
        assigned_team=owner_team,
        reason=AssignmentReason.MANUAL,
        detail=gettext("Assigned to %(owner)s by %(user)s")
        % {"owner": owner_user or owner_team, "user": by},
        trigger="manual",
        by=by,
    )
    # In a mass update's chunk the log rows go in together at its end.
    if not defer(_insert_assignments, logged):
        logged.save()
    emit(
        "lead.routed",
        locked,
        trigger="manual",
        by=getattr(by, "pk", None),
        previous_owner=previous_owner,
    )


def _insert_assignments(rows) -> None:
    LeadAssignment.objects.bulk_create(rows)
