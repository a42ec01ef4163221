"""Every write to accounts, contacts and opportunities (API tokens: tokens.py).

Services validate with full_clean() before saving and raise ValidationError with a
human message on a business-rule failure. Callers own the outer transaction.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    Account,
    BusinessUnit,
    Contact,
    Opportunity,
    OpportunityProduct,
    Product,
    Team,
    User,
)
from accounts.services.stages import (
    check_start_stage,
    move_stage,
    open_visit,
)
from leadsite.core.services import service
from leadsite.core.transactions import retry_transient
from leadsite.core.validation import full_clean
from leadsite.core.versioning import changed_fields, check_version


def _full_clean_opportunity(opportunity: Opportunity) -> None:
    """full_clean() for an opportunity: its status is a protected FSM field, which
    clean_fields() would try to assign (refused), so it is skipped there; every
    constraint (including state matches status) is still checked."""
    full_clean(opportunity, skip_fields=["status"])


def _owner_fields(
    *,
    owner_user: User | None,
    owner_team: Team | None,
    business_unit: BusinessUnit | None,
):
    owner = owner_user or owner_team
    return {
        "owner_user": owner_user,
        "owner_team": owner_team,
        "business_unit": business_unit or getattr(owner, "business_unit", None),
    }


@service
@transaction.atomic
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
        **_owner_fields(
            owner_user=owner_user, owner_team=owner_team, business_unit=business_unit
        ),
        **fields,
    )
    full_clean(account)
    account.save()
    return account


@service
@transaction.atomic
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
        **_owner_fields(
            owner_user=owner_user, owner_team=owner_team, business_unit=business_unit
        ),
        **fields,
    )
    full_clean(contact)
    contact.save()
    return contact


@service
@transaction.atomic
def set_primary_contact(*, account: Account, contact: Contact) -> Account:
    """Make `contact` the account's primary contact."""
    account.primary_contact = contact
    account.save(update_fields=["primary_contact", "modified_at"])
    return account


@service
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
        **_owner_fields(
            owner_user=owner_user, owner_team=owner_team, business_unit=business_unit
        ),
        **fields,
    )
    _full_clean_opportunity(opportunity)
    check_start_stage(opportunity)
    opportunity.save()
    open_visit(opportunity)
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


# --- Editing and the opportunity outcome --------------------------------------------
#
# Each service below locks the row it changes (select_for_update) inside its own
# atomic block, so two users acting on the same record at once are serialised and the
# second one sees the first one's result (and gets a clear message when that makes
# its action illegal).

CLOSED_OPPORTUNITY_MESSAGE = _(
    "This opportunity is closed; reopen it before changing it."
)


def _locked(model, pk):
    return model.objects.select_for_update().get(pk=pk)


def _apply_fields(instance, fields: dict, *, allowed: set[str]):
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Not editable here: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(instance, name, value)


def _changes(instance, fields: dict, *, allowed: set[str]) -> dict:
    """The fields this edit changes (unknown names are refused first): an edit
    that changes nothing saves nothing and keeps the version."""
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Not editable here: {', '.join(sorted(unknown))}")
    return changed_fields(instance, fields)


def _editable_field_names(model) -> set[str]:
    skip = {
        "id",
        "owner_user",
        "owner_team",
        "business_unit",
        "created_at",
        "modified_at",
    }
    return {
        f.name
        for f in model._meta.concrete_fields
        if f.editable and f.name not in skip and not getattr(f, "protected", False)
    }


@service
@retry_transient
@transaction.atomic
def update_account(
    *, account: Account, by: User, expected_version: int | None = None, **fields
) -> Account:
    """Change an account's own fields (not its owner). Locks the row.

    Refuses a parent account that is the account itself or one of its sub-accounts
    (a cycle), walking up the parent chain (short in practice). With
    `expected_version` (the version the edit form was loaded at), a save over a
    change made meanwhile raises leadsite.core.versioning.EditConflict.

    The account and its new parent are locked together in pk order before the
    check, and each ancestor is read locked, so two users making two accounts each
    other's parent at the same moment are serialised: the second sees the first's
    change and gets the cycle error (a deadlock on a longer chain is retried).
    """
    new_parent = fields.get("parent_account")
    pks = sorted({account.pk, getattr(new_parent, "pk", account.pk)})
    rows = Account.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    locked = {row.pk: row for row in rows}
    if account.pk not in locked:
        raise Account.DoesNotExist("This account no longer exists.")
    account = locked[account.pk]
    check_version(account, expected_version)
    fields = _changes(account, fields, allowed=_editable_field_names(Account))
    if not fields:
        return account
    _apply_fields(account, fields, allowed=_editable_field_names(Account))
    parent_pk = account.parent_account_id
    seen = {account.pk}
    while parent_pk is not None:
        if parent_pk in seen:
            raise ValidationError(
                {
                    "parent_account": gettext(
                        "An account cannot be its own parent or ancestor."
                    )
                }
            )
        seen.add(parent_pk)
        parent_pk = (
            Account.objects.select_for_update()
            .filter(pk=parent_pk)
            .values_list("parent_account_id", flat=True)
            .first()
        )
    account.full_clean()
    account.version += 1
    account.save()
    return account


@service
@transaction.atomic
def update_contact(
    *, contact: Contact, by: User, expected_version: int | None = None, **fields
) -> Contact:
    """Change a contact's own fields (not its owner). Locks the row; see
    update_account for `expected_version`."""
    contact = _locked(Contact, contact.pk)
    check_version(contact, expected_version)
    fields = _changes(contact, fields, allowed=_editable_field_names(Contact))
    if not fields:
        return contact
    _apply_fields(contact, fields, allowed=_editable_field_names(Contact))
    contact.full_clean()
    contact.version += 1
    contact.save()
    return contact


def _refuse_if_closed(opportunity: Opportunity):
    if not opportunity.is_open:
        raise ValidationError(str(CLOSED_OPPORTUNITY_MESSAGE), code="closed")


@service
@transaction.atomic
def update_opportunity(
    *,
    opportunity: Opportunity,
    by: User,
    expected_version: int | None = None,
    **fields,
) -> Opportunity:
    """Change an open opportunity's fields (not owner, state or actuals). Locks the row.

    Closed (won or lost) opportunities are read-only until reopened.
    """
    opportunity = _locked(Opportunity, opportunity.pk)
    _refuse_if_closed(opportunity)
    check_version(opportunity, expected_version)
    allowed = _editable_field_names(Opportunity) - {"actual_value", "actual_close_date"}
    fields = _changes(opportunity, fields, allowed=allowed)
    if not fields:
        return opportunity
    # The stage moves through the state machine, after the other fields (a step
    # filled in by this same edit counts).
    stage = fields.pop("sales_stage", None)
    _apply_fields(opportunity, fields, allowed=allowed)
    if stage is not None:
        move_stage(opportunity, stage, by=by)
    _full_clean_opportunity(opportunity)
    opportunity.version += 1
    opportunity.save()
    return opportunity


# The outcome of an opportunity (win, lose, reopen) and its product lines.
from accounts.services.opportunities import (  # noqa: E402
    add_opportunity_product,
    lose_opportunity,
    remove_opportunity_product,
    reopen_opportunity,
    win_opportunity,
)

__all__ = [
    "add_opportunity_product",
    "lose_opportunity",
    "remove_opportunity_product",
    "reopen_opportunity",
    "win_opportunity",
]
