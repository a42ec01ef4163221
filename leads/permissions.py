"""What the leads app adds to the record-scope gate (accounts.permissions): who
may create and edit routing rules, whose import batches a user sees."""

from django.db.models import QuerySet

from accounts.permissions import is_administrator, is_manager, unit_subtree_ids
from leads.models import ImportBatch


def routing_unit_ids(user) -> list[int] | None:
    """Business units whose rules `user` may edit: None means every rule (the
    organisation's too), [] means none (reps)."""
    if is_administrator(user):
        return None
    if is_manager(user) and user.business_unit_id:
        return unit_subtree_ids(user)
    return []


def can_manage_routing(user) -> bool:
    """Administrators and managers with a business unit may create rules."""
    return routing_unit_ids(user) != []


def can_edit_routing_rule(user, rule) -> bool:
    """Administrators edit every rule; managers the rules of their unit and below
    and of channel partners owned there; organisation rules are administrators'.
    Uses rule.channel_partner (select it with the rule)."""
    units = routing_unit_ids(user)
    if units is None:
        return True
    if rule.business_unit_id:
        return rule.business_unit_id in units
    if rule.channel_partner_id:
        return rule.channel_partner.business_unit_id in units
    return False


def visible_import_batches(user) -> QuerySet:
    """Import batches the user may see: administrators all, managers those made by
    users of their business unit and below, everyone else their own."""
    qs = ImportBatch.objects.select_related("created_by")
    if is_administrator(user):
        return qs
    if is_manager(user) and user.business_unit_id:
        # The unit tree as read once per request (the lead list's import filter
        # builds this queryset beside the list's own scope).
        return qs.filter(created_by__business_unit_id__in=unit_subtree_ids(user))
    return qs.filter(created_by=user)
