"""Reads for capture forms and the possible-duplicate flags they (and imports) leave."""

from dataclasses import dataclass, field

from accounts.permissions import (
    business_unit_subtree_ids,
    is_administrator,
    is_manager,
)
from leads.models import Campaign, CaptureForm, PossibleDuplicate
from leads.selectors.duplicates import HiddenMatch, hidden_match, scope_column
from leads.selectors.leads import has_any


def get_active_capture_form(*, token: str) -> CaptureForm:
    """The active form with this public token (CaptureForm.DoesNotExist otherwise)."""
    return CaptureForm.objects.select_related("business_unit", "campaign").get(
        token=token, is_active=True
    )


def list_capture_forms(*, user):
    """Forms the user manages: all for administrators, their business unit and
    below for managers, none for others."""
    qs = CaptureForm.objects.select_related("business_unit", "campaign").order_by(
        "name"
    )
    if is_administrator(user):
        return qs
    if is_manager(user) and user.business_unit_id:
        return qs.filter(
            business_unit_id__in=business_unit_subtree_ids(user.business_unit_id)
        )
    return qs.none()


def get_capture_form(*, pk, user) -> CaptureForm:
    return list_capture_forms(user=user).get(pk=pk)


def list_campaigns():
    """Every campaign, active or not: every role reads them (the lead form offers
    the active ones, the filters and the source report all of them)."""
    return Campaign.objects.all()


@dataclass
class PossibleDuplicates:
    """A lead's possible-duplicate flags: `flags` whose matched lead or contact the
    user may open, `elsewhere` the others as HiddenMatch (reason and owner only)."""

    flags: list[PossibleDuplicate] = field(default_factory=list)
    elsewhere: list[HiddenMatch] = field(default_factory=list)
    origin: str = ""

    def __bool__(self):
        return bool(self.flags or self.elsewhere)


def possible_duplicates(*, lead, user) -> PossibleDuplicates:
    """The lead's possible-duplicate flags, all of them: a match outside the user's
    scope says only that it exists, why, and who owns it. One query (none when the
    detail read says there are no flags)."""
    if not has_any(lead, "possible_duplicates"):
        return PossibleDuplicates()
    flags = PossibleDuplicate.objects.filter(lead=lead).select_related(
        "matched_lead__owner_user",
        "matched_lead__owner_team",
        "matched_contact__owner_user",
        "matched_contact__owner_team",
    )
    flags = flags.annotate(
        lead_in_scope=scope_column(user, prefix="matched_lead__"),
        contact_in_scope=scope_column(user, prefix="matched_contact__"),
    )
    found = PossibleDuplicates()
    for flag in flags:
        found.origin = found.origin or flag.origin
        if flag.matched_lead_id:
            kind, record, seen = "lead", flag.matched_lead, flag.lead_in_scope
        else:
            kind, record, seen = "contact", flag.matched_contact, flag.contact_in_scope
        if seen:
            found.flags.append(flag)
        else:
            found.elsewhere.append(hidden_match(kind, record, [flag.reason]))
    return found
