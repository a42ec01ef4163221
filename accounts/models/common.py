"""What the record models share: money, industries, addresses, ownership and the
state/status-reason constraint."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 19, "decimal_places": 2}


class Industry(models.IntegerChoices):
    """[industrycode]: D365's codes and labels, 1–33, as the account and lead
    entities define them (so exports and imports round-trip)."""

    ACCOUNTING = 1, _("Accounting")
    AGRICULTURE = 2, _("Agriculture and Non-petrol Natural Resource Extraction")
    BROADCASTING = 3, _("Broadcasting Printing and Publishing")
    BROKERS = 4, _("Brokers")
    BUILDING_SUPPLY_RETAIL = 5, _("Building Supply Retail")
    BUSINESS_SERVICES = 6, _("Business Services")
    CONSULTING = 7, _("Consulting")
    CONSUMER_SERVICES = 8, _("Consumer Services")
    DESIGN = 9, _("Design, Direction and Creative Management")
    DISTRIBUTORS = 10, _("Distributors, Dispatchers and Processors")
    DOCTORS_OFFICES = 11, _("Doctor's Offices and Clinics")
    DURABLE_MANUFACTURING = 12, _("Durable Manufacturing")
    EATING_AND_DRINKING = 13, _("Eating and Drinking Places")
    ENTERTAINMENT_RETAIL = 14, _("Entertainment Retail")
    EQUIPMENT_RENTAL = 15, _("Equipment Rental and Leasing")
    FINANCIAL = 16, _("Financial")
    FOOD_AND_TOBACCO = 17, _("Food and Tobacco Processing")
    INBOUND_CAPITAL_INTENSIVE = 18, _("Inbound Capital Intensive Processing")
    INBOUND_REPAIR = 19, _("Inbound Repair and Services")
    INSURANCE = 20, _("Insurance")
    LEGAL_SERVICES = 21, _("Legal Services")
    NON_DURABLE_RETAIL = 22, _("Non-Durable Merchandise Retail")
    OUTBOUND_CONSUMER_SERVICE = 23, _("Outbound Consumer Service")
    PETROCHEMICAL = 24, _("Petrochemical Extraction and Distribution")
    SERVICE_RETAIL = 25, _("Service Retail")
    SIG_AFFILIATIONS = 26, _("SIG Affiliations")
    SOCIAL_SERVICES = 27, _("Social Services")
    SPECIAL_OUTBOUND_TRADE = 28, _("Special Outbound Trade Contractors")
    SPECIALTY_REALTY = 29, _("Specialty Realty")
    TRANSPORTATION = 30, _("Transportation")
    UTILITY_CREATION = 31, _("Utility Creation and Distribution")
    VEHICLE_RETAIL = 32, _("Vehicle Retail")
    WHOLESALE = 33, _("Wholesale")


# The address columns, in form order: every form, copy and merge lists them from here.
ADDRESS_FIELDS = [
    "address_line1",
    "address_line2",
    "address_line3",
    "city",
    "state_or_province",
    "postal_code",
    "country",
]


class AddressFields(models.Model):
    """Postal address columns shared by leads, accounts and contacts (line 1-3 as D365)."""

    address_line1 = models.CharField(_("street 1"), max_length=250, blank=True)
    address_line2 = models.CharField(_("street 2"), max_length=250, blank=True)
    address_line3 = models.CharField(_("street 3"), max_length=250, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    state_or_province = models.CharField(_("state/province"), max_length=50, blank=True)
    postal_code = models.CharField(_("ZIP/postal code"), max_length=20, blank=True)
    country = models.CharField(_("country/region"), max_length=80, blank=True)

    class Meta:
        abstract = True


def owner_constraint(name):
    """Owner is a user or a team: exactly one."""
    return models.CheckConstraint(
        condition=(Q(owner_user__isnull=False) & Q(owner_team__isnull=True))
        | (Q(owner_user__isnull=True) & Q(owner_team__isnull=False)),
        name=name,
        violation_error_message=_(
            "A record is owned by a user or by a team, exactly one."
        ),
    )


class OwnedModel(models.Model):
    """Owned by exactly one user or team, within an owning business unit."""

    owner_user = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner (user)"),
    )
    owner_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner (team)"),
    )
    business_unit = models.ForeignKey(
        "accounts.BusinessUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owning business unit"),
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )
    modified_at = models.DateTimeField(_("modified at"), auto_now=True)
    # Raised by every edit service (leadsite.core.versioning); an edit form carries the
    # version it was loaded at, so a save over someone else's change is detected.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    @property
    def owner(self):
        return self.owner_user or self.owner_team


def state_matches_status_constraint(name, mapping):
    """A CheckConstraint: the stored state is the one the status reason belongs to."""
    condition = Q()
    for state in {int(s) for s in mapping.values()}:
        statuses = [int(k) for k, v in mapping.items() if v == state]
        condition |= Q(state=state, status__in=statuses)
    return models.CheckConstraint(
        condition=condition,
        name=name,
        violation_error_message=_("State and status reason disagree."),
    )
