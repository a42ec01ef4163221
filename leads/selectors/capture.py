"""Reads for capture forms and the possible-duplicate flags they (and imports) leave."""

import importlib.util

from django.db.models import Q

from leads.models import CaptureForm, PossibleDuplicate
from leads.selectors.leads import has_any
from leadsite.permissions import business_unit_subtree_ids, is_administrator, visible_to


def routing_available() -> bool:
    """Whether the routing service (issue 9) is installed."""
    return importlib.util.find_spec("leads.services.routing") is not None


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
    if user.business_unit_id:
        return qs.filter(
            business_unit_id__in=business_unit_subtree_ids(user.business_unit_id)
        )
    return qs.none()


def get_capture_form(*, pk, user) -> CaptureForm:
    return list_capture_forms(user=user).get(pk=pk)


def possible_duplicates(*, lead, user) -> list[PossibleDuplicate]:
    """The lead's possible-duplicate flags whose matched record the user may see."""
    from accounts.models import Contact
    from leads.models import Lead

    if not has_any(lead, "possible_duplicates"):
        return []
    flags = list(
        PossibleDuplicate.objects.filter(lead=lead).select_related(
            "matched_lead", "matched_contact"
        )
    )
    if not flags:
        return []
    lead_ids = {f.matched_lead_id for f in flags if f.matched_lead_id}
    contact_ids = {f.matched_contact_id for f in flags if f.matched_contact_id}
    seen_leads = set(
        visible_to(user, Lead.objects.filter(pk__in=lead_ids)).values_list(
            "pk", flat=True
        )
    )
    seen_contacts = set(
        visible_to(user, Contact.objects.filter(Q(pk__in=contact_ids))).values_list(
            "pk", flat=True
        )
    )
    return [
        f
        for f in flags
        if f.matched_lead_id in seen_leads or f.matched_contact_id in seen_contacts
    ]
