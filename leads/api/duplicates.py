"""The duplicate rules on API writes (leads/api/views.py: create and partial
update): a block rule's matches are a 409 problem, code possible-duplicates, with
`matches` listed as the qualify's refusal lists them (in scope with their ids,
the others by kind, reasons and owner); a warning's leads are flagged once the
lead is written (the caller does that with the check this returns)."""

from leads.api.serializers import HiddenMatchSerializer, MatchSerializer
from leads.selectors.duplicate_rules import DuplicateCheck, check_lead_duplicates
from leads.services.duplicates import DuplicateBlocked
from leadsite.core.api import Conflict

# The lead fields the duplicate rules read: an update that sets one is checked.
DUPLICATE_INPUTS = {
    "email",
    "business_phone",
    "mobile_phone",
    "first_name",
    "last_name",
    "company_name",
    "subject",
}


def refuse_duplicates(*, user, fields: dict, unit, exclude=None) -> DuplicateCheck:
    """Check `fields` against the published rules for `unit`; raise the 409 when
    a block rule matched, else return the check."""
    check = check_lead_duplicates(
        user=user, fields=fields, exclude_pk=exclude, business_unit_id=unit
    )
    if not check.blocked:
        return check
    leads = [
        {"id": m.pk, "name": str(m), "reasons": m.duplicate_reasons}
        for m in check.leads
    ]
    elsewhere = [
        {"kind": h.kind, "reasons": list(h.reasons), "owner": h.owner}
        for h in check.elsewhere
    ]
    raise Conflict(
        DuplicateBlocked(check).message,
        code="possible-duplicates",
        members={
            "matches": {
                "leads": MatchSerializer(leads, many=True).data,
                "elsewhere": HiddenMatchSerializer(elsewhere, many=True).data,
            }
        },
    )
