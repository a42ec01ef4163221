"""An opportunity's outcome (win, lose, reopen: the state machine's transitions,
with the stage visit closed or opened) and its product lines. Re-exported by
accounts.services, where the other record writes live."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from accounts.models import (
    OPPORTUNITY_LOST_REASONS,
    Opportunity,
    OpportunityProduct,
    OpportunityStatus,
    Product,
    User,
)
from accounts.services import (
    CLOSED_OPPORTUNITY_MESSAGE,
    _full_clean_opportunity,
    _locked,
    _refuse_if_closed,
)
from accounts.services.stages import close_visit, open_visit
from leadsite.core.events import emit
from leadsite.core.services import service


def _save_outcome(opportunity: Opportunity) -> None:
    """Save a won, lost or reopened opportunity; its state changed, so the version
    moves on (an edit form or API client holding the old version is told, not
    overwritten), as a lead's transitions do."""
    opportunity.version += 1
    opportunity.save()


# Why winning or losing is refused, by the action and the status reason it meets.
TRANSITION_REFUSALS = {
    ("win", OpportunityStatus.WON): _("Cannot win this opportunity: it is won now."),
    ("win", OpportunityStatus.CANCELED): _(
        "Cannot win this opportunity: it is canceled now."
    ),
    ("win", OpportunityStatus.OUT_SOLD): _(
        "Cannot win this opportunity: it is out-sold now."
    ),
    ("lose", OpportunityStatus.WON): _("Cannot lose this opportunity: it is won now."),
    ("lose", OpportunityStatus.CANCELED): _(
        "Cannot lose this opportunity: it is canceled now."
    ),
    ("lose", OpportunityStatus.OUT_SOLD): _(
        "Cannot lose this opportunity: it is out-sold now."
    ),
}


def _transition_refused(opportunity: Opportunity, action: str) -> ValidationError:
    message = TRANSITION_REFUSALS.get(
        (action, opportunity.status), CLOSED_OPPORTUNITY_MESSAGE
    )
    return ValidationError(str(message), code="transition")


@service
@transaction.atomic
def win_opportunity(
    *, opportunity: Opportunity, by: User, actual_value: Decimal, actual_close_date
) -> Opportunity:
    """Close an open opportunity as won with its actual revenue and close date; it
    is then at stage Close with probability 100 %.

    Locks the row; refuses (ValidationError) when it is no longer open, e.g. a second
    click or a stale page. The transition is logged (StateLog) with `by`.
    """
    errors = {}
    if actual_value is None:
        errors["actual_value"] = gettext("Enter the actual revenue.")
    elif actual_value < 0:
        errors["actual_value"] = gettext("Actual revenue cannot be negative.")
    if actual_close_date is None:
        errors["actual_close_date"] = gettext("Enter the actual close date.")
    if errors:
        raise ValidationError(errors)
    opportunity = _locked(Opportunity, opportunity.pk)
    if not can_proceed(opportunity.win):
        raise _transition_refused(opportunity, "win")
    opportunity.win(
        actual_value=actual_value, actual_close_date=actual_close_date, by=by
    )
    _full_clean_opportunity(opportunity)
    _save_outcome(opportunity)
    close_visit(opportunity)
    emit("opportunity.won", opportunity)
    return opportunity


@service
@transaction.atomic
def lose_opportunity(
    *, opportunity: Opportunity, by: User, reason, description: str = ""
) -> Opportunity:
    """Close an open opportunity as lost: reason Canceled or Out-Sold; its
    probability becomes 0 % (the stage stays where the deal was lost).

    Locks the row; refuses when it is no longer open. `description` (why it was
    lost) goes into the transition log.
    """
    try:
        reason = OpportunityStatus(int(reason))
    except (TypeError, ValueError):
        reason = None
    if reason not in OPPORTUNITY_LOST_REASONS:
        raise ValidationError(
            {"reason": gettext("Choose why the opportunity was lost.")}
        )
    opportunity = _locked(Opportunity, opportunity.pk)
    if not can_proceed(opportunity.lose):
        raise _transition_refused(opportunity, "lose")
    opportunity.lose(reason=reason, by=by, description=description or None)
    _full_clean_opportunity(opportunity)
    _save_outcome(opportunity)
    close_visit(opportunity)
    emit("opportunity.lost", opportunity)
    return opportunity


@service
@transaction.atomic
def reopen_opportunity(*, opportunity: Opportunity, by: User) -> Opportunity:
    """Reopen a won or lost opportunity (In Progress); clears the actuals, and the
    probability starts again from its stage's usual one. Locks the row."""
    opportunity = _locked(Opportunity, opportunity.pk)
    if not can_proceed(opportunity.reopen):
        raise ValidationError(
            gettext("This opportunity is already open."), code="transition"
        )
    opportunity.reopen(by=by)
    _full_clean_opportunity(opportunity)
    _save_outcome(opportunity)
    open_visit(opportunity)
    return opportunity


@service
@transaction.atomic
def add_opportunity_product(
    *,
    opportunity: Opportunity,
    by: User,
    product: Product,
    quantity: Decimal = Decimal("1"),
    price_per_unit: Decimal | None = None,
    note: str = "",
) -> OpportunityProduct:
    """Add a product line to an open opportunity, priced from the catalog unless
    `price_per_unit` is given. Locks the opportunity; one line per product."""
    opportunity = _locked(Opportunity, opportunity.pk)
    _refuse_if_closed(opportunity)
    if not product.is_active:
        raise ValidationError({"product": gettext("This product is no longer sold.")})
    if opportunity.product_lines.filter(product=product).exists():
        raise ValidationError(
            {
                "product": gettext("%(product)s is already on this opportunity.")
                % {"product": product}
            }
        )
    line = OpportunityProduct(
        opportunity=opportunity,
        product=product,
        quantity=quantity,
        price_per_unit=product.price if price_per_unit is None else price_per_unit,
        note=note,
    )
    line.full_clean()
    line.save()
    return line


@service
@transaction.atomic
def remove_opportunity_product(
    *, opportunity: Opportunity, by: User, line: OpportunityProduct
) -> None:
    """Remove a product line from an open opportunity. Locks the opportunity."""
    opportunity = _locked(Opportunity, opportunity.pk)
    _refuse_if_closed(opportunity)
    deleted, _ = OpportunityProduct.objects.filter(
        pk=line.pk, opportunity=opportunity
    ).delete()
    if not deleted:
        raise ValidationError(
            gettext("That product line is no longer on this opportunity.")
        )
