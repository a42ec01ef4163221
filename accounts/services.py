"""Every write to accounts, contacts and opportunities.

Services validate with full_clean() before saving and raise ValidationError with a
human message on a business-rule failure. Callers own the outer transaction.
"""

from decimal import Decimal

from django.db import transaction

from accounts.models import Account, BusinessUnit, Contact, Opportunity, OpportunityProduct, Product, Team, User


def _owner_fields(*, owner_user: User | None, owner_team: Team | None, business_unit: BusinessUnit | None):
    owner = owner_user or owner_team
    return {
        "owner_user": owner_user,
        "owner_team": owner_team,
        "business_unit": business_unit or getattr(owner, "business_unit", None),
    }


def create_account(
    *,
    name: str,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    business_unit: BusinessUnit | None = None,
    **fields,
) -> Account:
    """Create an account owned by a user or a team (owning BU defaults to the owner's)."""
    account = Account(
        name=name,
        **_owner_fields(owner_user=owner_user, owner_team=owner_team, business_unit=business_unit),
        **fields,
    )
    account.full_clean()
    account.save()
    return account


def create_contact(
    *,
    last_name: str,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    business_unit: BusinessUnit | None = None,
    **fields,
) -> Contact:
    """Create a contact owned by a user or a team."""
    contact = Contact(
        last_name=last_name,
        **_owner_fields(owner_user=owner_user, owner_team=owner_team, business_unit=business_unit),
        **fields,
    )
    contact.full_clean()
    contact.save()
    return contact


def set_primary_contact(*, account: Account, contact: Contact) -> Account:
    """Make `contact` the account's primary contact."""
    account.primary_contact = contact
    account.save(update_fields=["primary_contact", "modified_at"])
    return account


@transaction.atomic
def create_opportunity(
    *,
    name: str,
    account: Account | None = None,
    contact: Contact | None = None,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    business_unit: BusinessUnit | None = None,
    products: list[tuple[Product, Decimal, str]] = (),
    **fields,
) -> Opportunity:
    """Create an open opportunity for a customer account or contact.

    `products` are (product, quantity, note) lines, priced from the catalog.
    """
    opportunity = Opportunity(
        name=name,
        account=account,
        contact=contact,
        **_owner_fields(owner_user=owner_user, owner_team=owner_team, business_unit=business_unit),
        **fields,
    )
    opportunity.full_clean()
    opportunity.save()
    for product, quantity, note in products:
        line = OpportunityProduct(
            opportunity=opportunity,
            product=product,
            quantity=quantity,
            price_per_unit=product.price,
            note=note,
        )
        line.full_clean()
        line.save()
    return opportunity
