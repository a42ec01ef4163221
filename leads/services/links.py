"""Writes for a lead's links to accounts and contacts and its product interests.

These are edits of the lead itself, so a closed lead (qualified or disqualified) refuses
them until it is reactivated.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction

from accounts.models import Account, Contact, Product
from leads.exceptions import LeadClosed
from leads.models import Lead, LeadAccount, LeadContact, LeadProduct
from leads.services.locks import lock_lead
from leadsite.core.services import service


def ensure_lead_editable(lead: Lead) -> None:
    """Refuse edits of a closed lead (LeadClosed).

    Reads the state under a row lock so a concurrent qualify cannot slip between the
    check and the write (call inside a transaction).
    """
    locked = lock_lead(lead, related=())  # the guard reads the row alone
    if not locked.is_editable:
        raise LeadClosed(locked)


def _get_or_create_link(model, **fields):
    """get_or_create that survives a concurrent insert of the same row.

    The unique constraint decides the race: the loser's insert fails inside a
    savepoint and it reads the winner's row instead.
    """
    try:
        with transaction.atomic():
            return model.objects.get_or_create(**fields)
    except IntegrityError:
        return model.objects.get(**fields), False


@service
@transaction.atomic
def link_account(*, lead: Lead, account: Account, by) -> tuple[LeadAccount, bool]:
    """Associate a lead with an account; linking twice keeps one row (created=False)."""
    ensure_lead_editable(lead)
    return _get_or_create_link(LeadAccount, lead=lead, account=account)


@service
@transaction.atomic
def unlink_account(*, lead: Lead, account: Account, by) -> bool:
    """Remove the association; True if a link existed."""
    ensure_lead_editable(lead)
    deleted, _ = LeadAccount.objects.filter(lead=lead, account=account).delete()
    return bool(deleted)


@service
@transaction.atomic
def link_contact(*, lead: Lead, contact: Contact, by) -> tuple[LeadContact, bool]:
    """Associate a lead with a contact; linking twice keeps one row (created=False)."""
    ensure_lead_editable(lead)
    return _get_or_create_link(LeadContact, lead=lead, contact=contact)


@service
@transaction.atomic
def unlink_contact(*, lead: Lead, contact: Contact, by) -> bool:
    """Remove the association; True if a link existed."""
    ensure_lead_editable(lead)
    deleted, _ = LeadContact.objects.filter(lead=lead, contact=contact).delete()
    return bool(deleted)


@service
@transaction.atomic
def add_interest(
    *,
    lead: Lead,
    product: Product,
    by,
    quantity: Decimal = Decimal("1"),
    note: str = "",
) -> LeadProduct:
    """Record that the lead asked about a product: one row per product.

    Adding a product the lead already has updates that row's quantity and note.
    """
    ensure_lead_editable(lead)
    interest, _ = _get_or_create_interest(lead=lead, product=product)
    interest.quantity = quantity
    interest.note = note
    interest.full_clean()
    interest.save()
    return interest


def _get_or_create_interest(*, lead: Lead, product: Product):
    interest = (
        LeadProduct.objects.select_for_update()
        .filter(lead=lead, product=product)
        .first()
    )
    if interest is not None:
        return interest, False
    try:
        with transaction.atomic():
            return LeadProduct.objects.create(lead=lead, product=product), True
    except IntegrityError:
        return (
            LeadProduct.objects.select_for_update().get(lead=lead, product=product),
            False,
        )


@service
@transaction.atomic
def remove_interest(*, lead: Lead, interest: LeadProduct, by) -> None:
    """Remove one product interest from the lead."""
    ensure_lead_editable(lead)
    LeadProduct.objects.filter(pk=interest.pk, lead=lead).delete()
