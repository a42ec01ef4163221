"""The one fallback-owner rule: who gets a lead that no rule routes.

The default owner of the lead's business unit, else of the unit above it, and so
on up the tree; then the LEADSITE_FALLBACK_OWNER user. The first of them who can
take a lead now wins (active, available, under their capacity, not the owner a
re-routing takes it from). Nobody: the lead has no fallback owner.

Routing applies it to leads nobody owns yet (capture, import, route again,
re-routing); a lead a person creates stays with them instead (Situation.keeper).
Capture creates its lead with this owner too (leads.services.capture), so a lead
no rule routes ends with the same person whichever way it came in.
"""

from django.utils.translation import gettext

from leads.routing.matching import unit_ancestry
from leads.routing.situation import Situation


def fallback_owner(situation: Situation, unit_id) -> tuple:
    """(user, words for the log) of the fallback owner of a lead of `unit_id`, or
    (None, None) when there is none."""
    for unit in unit_ancestry(unit_id, situation.parents):
        owner_id = situation.default_owners.get(unit)
        if owner_id is not None and situation.why_not(owner_id) is None:
            name = situation.unit_names.get(unit) or gettext("the business unit")
            return situation.users[owner_id], gettext("%(unit)s default owner") % {
                "unit": name
            }
    pk = situation.fallback_owner_id
    if pk is not None and situation.why_not(pk) is None:
        return situation.users[pk], gettext("fallback owner")
    return None, None
