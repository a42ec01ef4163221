"""A card moved on the lead board: the same lifecycle services as the lead page's
buttons, refused when the card was drawn from an older version of the lead."""

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from leads.exceptions import TransitionRefused
from leads.models import Lead
from leads.services.lifecycle import disqualify_lead, mark_contacted
from leads.services.locks import lock_lead
from leadsite.core.services import service
from leadsite.core.versioning import check_version

# Where a card may be dropped and the service that takes it there (Qualify opens
# the qualify page instead: it needs the user's choices).
CONTACTED = "contacted"
DISQUALIFIED = "disqualified"
MOVES = [CONTACTED, DISQUALIFIED]


@service
@transaction.atomic
def move_lead(
    *,
    lead: Lead,
    by: User,
    to: str,
    expected_version: int,
    reason: int | None = None,
    description: str = "",
) -> Lead:
    """Move `lead` to the board column or drop zone `to`: CONTACTED through
    mark_contacted, DISQUALIFIED through disqualify_lead with `reason`.

    Locks the lead first; a card drawn from another version than the stored one
    (someone moved or edited the lead since the board was drawn) raises
    leadsite.core.versioning.EditConflict and changes nothing. The lifecycle
    services then lock the same row again (a no-op) and refuse with their own
    sentence (TransitionRefused) what the state machine does not allow.
    """
    if to not in MOVES:
        raise TransitionRefused(gettext("A lead cannot be moved there."))
    locked = lock_lead(lead)
    check_version(locked, expected_version)
    if to == CONTACTED:
        return mark_contacted(lead=locked, by=by)
    return disqualify_lead(
        lead=locked, by=by, reason=reason or 0, description=description
    )
