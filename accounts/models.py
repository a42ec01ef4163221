"""Who we sell to and who sells: business units, teams, users, accounts, contacts,
opportunities and the product catalog."""

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_fsm import RETURN_VALUE, FSMIntegerField, FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from leadsite.dates import validate_business_date
from leadsite.history import record_history

MONEY = {"max_digits": 19, "decimal_places": 2}


class Industry(models.IntegerChoices):
    """[industrycode]: D365's codes and labels, 1–33, as the account and lead
    entities define them (so exports and imports round-trip)."""

    ACCOUNTING = 1, "Accounting"
    AGRICULTURE = 2, "Agriculture and Non-petrol Natural Resource Extraction"
    BROADCASTING = 3, "Broadcasting Printing and Publishing"
    BROKERS = 4, "Brokers"
    BUILDING_SUPPLY_RETAIL = 5, "Building Supply Retail"
    BUSINESS_SERVICES = 6, "Business Services"
    CONSULTING = 7, "Consulting"
    CONSUMER_SERVICES = 8, "Consumer Services"
    DESIGN = 9, "Design, Direction and Creative Management"
    DISTRIBUTORS = 10, "Distributors, Dispatchers and Processors"
    DOCTORS_OFFICES = 11, "Doctor's Offices and Clinics"
    DURABLE_MANUFACTURING = 12, "Durable Manufacturing"
    EATING_AND_DRINKING = 13, "Eating and Drinking Places"
    ENTERTAINMENT_RETAIL = 14, "Entertainment Retail"
    EQUIPMENT_RENTAL = 15, "Equipment Rental and Leasing"
    FINANCIAL = 16, "Financial"
    FOOD_AND_TOBACCO = 17, "Food and Tobacco Processing"
    INBOUND_CAPITAL_INTENSIVE = 18, "Inbound Capital Intensive Processing"
    INBOUND_REPAIR = 19, "Inbound Repair and Services"
    INSURANCE = 20, "Insurance"
    LEGAL_SERVICES = 21, "Legal Services"
    NON_DURABLE_RETAIL = 22, "Non-Durable Merchandise Retail"
    OUTBOUND_CONSUMER_SERVICE = 23, "Outbound Consumer Service"
    PETROCHEMICAL = 24, "Petrochemical Extraction and Distribution"
    SERVICE_RETAIL = 25, "Service Retail"
    SIG_AFFILIATIONS = 26, "SIG Affiliations"
    SOCIAL_SERVICES = 27, "Social Services"
    SPECIAL_OUTBOUND_TRADE = 28, "Special Outbound Trade Contractors"
    SPECIALTY_REALTY = 29, "Specialty Realty"
    TRANSPORTATION = 30, "Transportation"
    UTILITY_CREATION = 31, "Utility Creation and Distribution"
    VEHICLE_RETAIL = 32, "Vehicle Retail"
    WHOLESALE = 33, "Wholesale"


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

    address_line1 = models.CharField("street 1", max_length=250, blank=True)
    address_line2 = models.CharField("street 2", max_length=250, blank=True)
    address_line3 = models.CharField("street 3", max_length=250, blank=True)
    city = models.CharField(max_length=80, blank=True)
    state_or_province = models.CharField("state/province", max_length=50, blank=True)
    postal_code = models.CharField("ZIP/postal code", max_length=20, blank=True)
    country = models.CharField("country/region", max_length=80, blank=True)

    class Meta:
        abstract = True


def owner_constraint(name):
    """Owner is a user or a team: exactly one."""
    return models.CheckConstraint(
        condition=(Q(owner_user__isnull=False) & Q(owner_team__isnull=True))
        | (Q(owner_user__isnull=True) & Q(owner_team__isnull=False)),
        name=name,
        violation_error_message="A record is owned by a user or by a team, exactly one.",
    )


class OwnedModel(models.Model):
    """Owned by exactly one user or team, within an owning business unit."""

    owner_user = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="owner (user)",
    )
    owner_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="owner (team)",
    )
    business_unit = models.ForeignKey(
        "accounts.BusinessUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="owning business unit",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    modified_at = models.DateTimeField(auto_now=True)
    # Raised by every edit service (leadsite.versioning); an edit form carries the
    # version it was loaded at, so a save over someone else's change is detected.
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    @property
    def owner(self):
        return self.owner_user or self.owner_team


class BusinessUnit(models.Model):
    """A node in the organisation tree; managers see their unit and everything below."""

    name = models.CharField(max_length=160, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    default_owner = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Receives leads that no routing rule matches.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A LeadSite user; belongs to one business unit."""

    business_unit = models.ForeignKey(
        BusinessUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    lead_capacity = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Most open leads routing may give this user; empty means no limit.",
    )
    available_for_leads = models.BooleanField(
        "available for new leads",
        default=True,
        help_text="Off: routing skips this user (until the date below, if one is set).",
    )
    unavailable_until = models.DateField(
        null=True,
        blank=True,
        help_text="Last day away; routing resumes the day after. Empty: until switched on.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    def __str__(self):
        return self.get_full_name() or self.username


class Team(models.Model):
    """A group of users that can own records and share routed leads."""

    name = models.CharField(max_length=160, unique=True)
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.PROTECT, related_name="teams"
    )
    members = models.ManyToManyField(User, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Product(models.Model):
    """A catalog item a lead can be interested in and an opportunity can carry."""

    name = models.CharField(max_length=160)
    product_number = models.CharField(max_length=40, unique=True)
    price = models.DecimalField(**MONEY, default=0, validators=[MinValueValidator(0)])
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="product_price_non_negative"
            )
        ]

    def __str__(self):
        return self.name


class Account(AddressFields, OwnedModel):
    """A company we do or may do business with."""

    name = models.CharField("account name", max_length=160)
    account_number = models.CharField(max_length=20, blank=True)
    website = models.URLField(max_length=200, blank=True)
    phone = models.CharField("main phone", max_length=50, blank=True)
    email = models.EmailField(blank=True)
    industry = models.PositiveSmallIntegerField(
        choices=Industry.choices, null=True, blank=True
    )
    annual_revenue = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    number_of_employees = models.PositiveIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    is_partner = models.BooleanField(
        "channel partner",
        default=False,
        help_text="Can be named as a lead's channel partner.",
    )
    parent_account = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subaccounts",
    )
    primary_contact = models.ForeignKey(
        "accounts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = record_history()

    class Meta:
        ordering = ["name"]
        constraints = [
            owner_constraint("account_owner_user_xor_team"),
            models.CheckConstraint(
                condition=Q(annual_revenue__gte=0) | Q(annual_revenue__isnull=True),
                name="account_revenue_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["name"]),
            models.Index(fields=["email"]),
            models.Index(fields=["phone"]),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:account-detail", args=[self.pk])


class Contact(AddressFields, OwnedModel):
    """A person, usually working for an account."""

    salutation = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=50, blank=True)
    last_name = models.CharField(max_length=50)
    job_title = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    business_phone = models.CharField(max_length=50, blank=True)
    mobile_phone = models.CharField(max_length=50, blank=True)
    description = models.TextField(blank=True)
    account = models.ForeignKey(
        Account,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name="company (parent account)",
    )

    history = record_history()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [owner_constraint("contact_owner_user_xor_team")]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["email"]),
            models.Index(fields=["business_phone"]),
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("accounts:contact-detail", args=[self.pk])

    @property
    def full_name(self):
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class OpportunityState(models.IntegerChoices):
    OPEN = 0, "Open"
    WON = 1, "Won"
    LOST = 2, "Lost"


class OpportunityStatus(models.IntegerChoices):
    """Status reason [statuscode]; each belongs to exactly one state."""

    IN_PROGRESS = 1, "In Progress"
    ON_HOLD = 2, "On Hold"
    WON = 3, "Won"
    CANCELED = 4, "Canceled"
    OUT_SOLD = 5, "Out-Sold"


OPPORTUNITY_STATE_OF_STATUS = {
    OpportunityStatus.IN_PROGRESS: OpportunityState.OPEN,
    OpportunityStatus.ON_HOLD: OpportunityState.OPEN,
    OpportunityStatus.WON: OpportunityState.WON,
    OpportunityStatus.CANCELED: OpportunityState.LOST,
    OpportunityStatus.OUT_SOLD: OpportunityState.LOST,
}
OPPORTUNITY_LOST_REASONS = [OpportunityStatus.CANCELED, OpportunityStatus.OUT_SOLD]


def state_matches_status_constraint(name, mapping):
    """A CheckConstraint: the stored state is the one the status reason belongs to."""
    condition = Q()
    for state in {int(s) for s in mapping.values()}:
        statuses = [int(k) for k, v in mapping.items() if v == state]
        condition |= Q(state=state, status__in=statuses)
    return models.CheckConstraint(
        condition=condition,
        name=name,
        violation_error_message="State and status reason disagree.",
    )


class Opportunity(FSMModelMixin, OwnedModel):
    """A potential deal with an account or contact, often born from a qualified lead."""

    name = models.CharField("topic", max_length=300)
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
        verbose_name="customer account",
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
        verbose_name="customer contact",
    )
    description = models.TextField(blank=True)
    estimated_value = models.DecimalField(
        "est. revenue",
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    estimated_close_date = models.DateField(
        "est. close date", null=True, blank=True, validators=[validate_business_date]
    )
    actual_value = models.DecimalField(
        "actual revenue",
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    actual_close_date = models.DateField(
        null=True, blank=True, validators=[validate_business_date]
    )
    state = models.PositiveSmallIntegerField(
        choices=OpportunityState.choices, default=OpportunityState.OPEN, editable=False
    )
    status = FSMIntegerField(
        "status reason",
        choices=OpportunityStatus.choices,
        default=OpportunityStatus.IN_PROGRESS,
        protected=True,
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    products = models.ManyToManyField(
        Product, through="OpportunityProduct", related_name="opportunities", blank=True
    )

    history = record_history()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "opportunities"
        constraints = [
            owner_constraint("opportunity_owner_user_xor_team"),
            state_matches_status_constraint(
                "opportunity_state_matches_status", OPPORTUNITY_STATE_OF_STATUS
            ),
            models.CheckConstraint(
                condition=Q(account__isnull=False) | Q(contact__isnull=False),
                name="opportunity_has_customer",
                violation_error_message="An opportunity needs a customer account or contact.",
            ),
            models.CheckConstraint(
                condition=(Q(estimated_value__gte=0) | Q(estimated_value__isnull=True))
                & (Q(actual_value__gte=0) | Q(actual_value__isnull=True)),
                name="opportunity_money_non_negative",
            ),
            models.CheckConstraint(
                condition=~Q(state=OpportunityState.WON)
                | (Q(actual_value__isnull=False) & Q(actual_close_date__isnull=False)),
                name="opportunity_won_has_actuals",
                violation_error_message="A won opportunity needs actual revenue and close date.",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "status"]),
            models.Index(fields=["estimated_close_date"]),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:opportunity-detail", args=[self.pk])

    @property
    def customer(self):
        return self.account or self.contact

    @property
    def is_open(self):
        return self.state == OpportunityState.OPEN

    @property
    def state_name(self):
        """ "open", "won" or "lost": for templates and CSS classes."""
        return OpportunityState(self.state).name.lower()

    # Transitions: set fields on this row only; services do the rest.
    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[OpportunityStatus.IN_PROGRESS, OpportunityStatus.ON_HOLD],
        target=OpportunityStatus.WON,
        custom={"label": "Close as won"},
    )
    def win(self, *, actual_value, actual_close_date, by=None, description=None):
        self.state = OpportunityState.WON
        self.actual_value = actual_value
        self.actual_close_date = actual_close_date
        self.closed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[OpportunityStatus.IN_PROGRESS, OpportunityStatus.ON_HOLD],
        target=RETURN_VALUE(*OPPORTUNITY_LOST_REASONS),
        custom={"label": "Close as lost"},
    )
    def lose(self, *, reason, actual_close_date=None, by=None, description=None):
        if reason not in OPPORTUNITY_LOST_REASONS:
            raise ValueError(f"{reason!r} is not a reason to lose an opportunity.")
        self.state = OpportunityState.LOST
        self.actual_close_date = actual_close_date or timezone.localdate()
        self.closed_at = timezone.now()
        return reason

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[OpportunityStatus.WON, *OPPORTUNITY_LOST_REASONS],
        target=OpportunityStatus.IN_PROGRESS,
        custom={"label": "Reopen"},
    )
    def reopen(self, *, by=None, description=None):
        self.state = OpportunityState.OPEN
        self.actual_value = None
        self.actual_close_date = None
        self.closed_at = None


class OpportunityProduct(models.Model):
    """A product line on an opportunity."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="product_lines"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(
        max_digits=12, decimal_places=2, default=1, validators=[MinValueValidator(0)]
    )
    price_per_unit = models.DecimalField(
        **MONEY, default=0, validators=[MinValueValidator(0)]
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "product"], name="opportunity_product_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0) & Q(price_per_unit__gte=0),
                name="opportunity_product_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.product} × {self.quantity}"
