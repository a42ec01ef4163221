"""Reads for account, contact and opportunity pages, always through the scope gate."""

from accounts.models import Account, Contact, Opportunity
from leadsite.permissions import visible_to


def list_accounts(*, user):
    """Accounts the user may see, with owner columns joined."""
    return visible_to(user, Account.objects.select_related("owner_user", "owner_team"))


def list_contacts(*, user):
    """Contacts the user may see, with their account joined."""
    return visible_to(
        user, Contact.objects.select_related("account", "owner_user", "owner_team")
    )


def list_opportunities(*, user):
    """Opportunities the user may see, with customer and owner joined."""
    return visible_to(
        user,
        Opportunity.objects.select_related("account", "contact", "owner_user", "owner_team"),
    )
