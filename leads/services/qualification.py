"""Qualify a lead (D365 QualifyLead): create or link the account, contact and
opportunity it becomes, in one transaction with the lead row locked."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import services as account_services
from accounts.models import (
    ADDRESS_FIELDS,
    TYPICAL_PROBABILITY,
    Account,
    Contact,
    Opportunity,
    SalesStage,
    User,
)
from leads.models import ACCOUNT_FIELDS_FROM_LEAD, LEAD_CONTACT_FIELDS, Campaign, Lead
from leads.services.lifecycle import refuse_unless_allowed
from leads.services.locks import lock_lead
from leads.services.scoring import count_closed
from leadsite.core.events import emit
from leadsite.core.services import service


@dataclass
class QualificationResult:
    """The qualified lead and the records it created or linked."""

    lead: Lead
    account: Account | None = None
    contact: Contact | None = None
    opportunity: Opportunity | None = None
    account_created: bool = False
    contact_created: bool = False
    opportunity_created: bool = False

    @property
    def summary(self) -> dict[str, str]:
        """{"account": "created" | "linked", ...} for the records present."""
        found = {}
        for name in ("account", "contact", "opportunity"):
            if getattr(self, name) is not None:
                created = getattr(self, f"{name}_created")
                found[name] = "created" if created else "linked"
        return found


# The default of qualify_lead's estimated_value/estimated_close_date: the lead's own.
# (None is a value there: an opportunity without an estimate.)
FROM_LEAD = object()


def _copy(lead: Lead, names) -> dict:
    return {name: getattr(lead, name) for name in names}


CREATE_FAILED = {
    "account": _(
        "The account could not be created from this lead (%(problems)s). Edit the "
        "lead, then qualify again."
    ),
    "contact": _(
        "The contact could not be created from this lead (%(problems)s). Edit the "
        "lead, then qualify again."
    ),
    "opportunity": _(
        "The opportunity could not be created from this lead (%(problems)s). Edit "
        "the lead, then qualify again."
    ),
}


def _create(what: str, create, **fields):
    """Run an accounts service; its field errors become one message that names the
    record, since the lead's data (not the qualify form) is what needs fixing."""
    try:
        return create(**fields)
    except ValidationError as error:
        problems = (
            "; ".join(
                f"{name.replace('_', ' ')}: {' '.join(messages)}"
                if name != "__all__"
                else " ".join(messages)
                for name, messages in error.message_dict.items()
            )
            if hasattr(error, "error_dict")
            else " ".join(error.messages)
        )
        raise ValidationError(CREATE_FAILED[what] % {"problems": problems}) from error


def _owner(lead: Lead) -> dict:
    # New records belong to whoever owns the lead (a user or a team), in its unit.
    return {
        "owner_user": lead.owner_user,
        "owner_team": lead.owner_team,
        "business_unit": lead.business_unit,
    }


@service
@transaction.atomic
def qualify_lead(
    *,
    lead: Lead,
    by: User,
    create_account: bool = True,
    create_contact: bool = True,
    create_opportunity: bool = True,
    estimated_value: Decimal | None = FROM_LEAD,
    estimated_close_date: datetime.date | None = FROM_LEAD,
    existing_account: Account | None = None,
    existing_contact: Contact | None = None,
    campaign: Campaign | None = None,
    description: str = "",
) -> QualificationResult:
    """Open → Qualified, creating or linking the account, contact and opportunity.

    - A chosen existing account/contact wins over creating one.
    - Account copies company name, address and ACCOUNT_FIELDS_FROM_LEAD (website,
      phone, industry, revenue, employees); contact copies LEAD_CONTACT_FIELDS
      (names, job title, email, phones), address and do-not-email; its parent account is the
      new or chosen account; a new account's primary contact is the new contact (a
      chosen account keeps its primary contact if it has one).
    - Opportunity copies topic, description and the product interests; its
      estimated value and close date are `estimated_value`/`estimated_close_date`
      (the qualifier's figures; by default the lead's, None for none); its customer
      is the account and/or contact. Wanting an opportunity without any customer is
      a ValidationError.
    - With no account (created or chosen), the lead's parent account is the
      opportunity's customer; with no contact, its parent contact (D365 does the
      same). The lead's qualifying account/contact stay the ones made or chosen.
    - `campaign`, when given, becomes the lead's source campaign. The status
      reason is always Qualified (D365's only one for the Qualified state).
    - New records are owned by the lead's owner.

    One transaction with the lead row locked: a second, concurrent call waits for
    the lock, then finds the lead qualified and raises TransitionRefused ("This lead
    is already qualified."); any failure on the way rolls everything back.
    """
    # The owner records the new account, contact and opportunity take come with
    # the locked row (unlocked): _owner then reads nothing more.
    locked = lock_lead(
        lead,
        related=(
            "qualifying_opportunity",
            "owner_user",
            "owner_team",
            "business_unit",
        ),
    )
    refuse_unless_allowed(
        locked,
        "qualify",
        by=by,
        wrong_state=gettext("This lead is already qualified.")
        if locked.is_qualified
        else "",
    )

    will_have_account = (
        bool(existing_account) or create_account or bool(locked.parent_account_id)
    )
    will_have_contact = (
        bool(existing_contact) or create_contact or bool(locked.parent_contact_id)
    )
    if create_opportunity and not (will_have_account or will_have_contact):
        raise ValidationError(
            gettext(
                "An opportunity needs a customer: create or pick an account or a "
                "contact."
            )
        )
    if create_account and not existing_account and not locked.company_name.strip():
        raise ValidationError(
            {
                "create_account": gettext(
                    "This lead has no company name to create an account from: "
                    "pick an existing account or untick this box."
                )
            }
        )

    result = QualificationResult(lead=locked)
    if existing_account is not None:
        result.account = existing_account
    elif create_account:
        result.account = _create(
            "account",
            account_services.create_account,
            name=locked.company_name.strip(),
            **{
                field: getattr(locked, lead_field)
                for field, lead_field in ACCOUNT_FIELDS_FROM_LEAD.items()
            },
            **_copy(locked, ADDRESS_FIELDS),
            **_owner(locked),
        )
        result.account_created = True

    if existing_contact is not None:
        result.contact = existing_contact
    elif create_contact:
        result.contact = _create(
            "contact",
            account_services.create_contact,
            account=result.account,
            # The person's wish not to be emailed goes with them.
            **_copy(locked, [*LEAD_CONTACT_FIELDS, *ADDRESS_FIELDS, "do_not_email"]),
            **_owner(locked),
        )
        result.contact_created = True

    account, contact = result.account, result.contact
    if account is not None and contact is not None and result.contact_created:
        if result.account_created or account.primary_contact_id is None:
            account_services.set_primary_contact(account=account, contact=contact)

    if create_opportunity:
        result.opportunity = _create(
            "opportunity",
            account_services.create_opportunity,
            name=locked.subject,
            account=account or locked.parent_account,
            contact=contact or locked.parent_contact,
            estimated_value=locked.estimated_value
            if estimated_value is FROM_LEAD
            else estimated_value,
            estimated_close_date=locked.estimated_close_date
            if estimated_close_date is FROM_LEAD
            else estimated_close_date,
            description=locked.description,
            # The lead was the Qualify stage: the opportunity goes on at Develop.
            sales_stage=SalesStage.DEVELOP,
            close_probability=TYPICAL_PROBABILITY[SalesStage.DEVELOP],
            products=[
                (interest.product, interest.quantity, interest.note)
                for interest in locked.interests.select_related("product")
            ],
            **_owner(locked),
        )
        result.opportunity_created = True

    locked.qualifying_account = account
    locked.qualifying_contact = contact
    locked.qualifying_opportunity = result.opportunity
    update_fields = [
        "qualifying_account",
        "qualifying_contact",
        "qualifying_opportunity",
        "qualified_at",
        "closed_at",
        "status",
        "state",
        "modified_at",
        "version",
    ]
    locked.version += 1
    if campaign is not None:
        locked.campaign = campaign
        update_fields.append("campaign")
    locked.qualify(by=by, description=description or None)
    locked.save(update_fields=update_fields)
    count_closed([locked.pk], +1)
    emit("lead.qualified", locked)
    return result
