"""Reads for lead pages, always through the scope gate."""

from leads.models import Lead
from leadsite.permissions import visible_to


def list_leads(*, user):
    """Leads the user may see, with the columns of the list joined."""
    return visible_to(
        user,
        Lead.objects.select_related("owner_user", "owner_team", "campaign"),
    )


def get_lead(*, pk, user):
    """One lead in the user's scope (Lead.DoesNotExist outside it)."""
    return list_leads(user=user).get(pk=pk)
