"""Leads and everything about working them: the lead state machine, links, product
interests, the timeline (activities, notes, attachments), campaigns, capture forms
and routing rules."""

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_fsm import (
    RETURN_VALUE,
    ConcurrentTransitionMixin,
    FSMField,
    FSMIntegerField,
    FSMModelMixin,
    transition,
)
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from accounts.models import (
    MONEY,
    Account,
    AddressFields,
    BusinessUnit,
    Contact,
    Industry,
    Opportunity,
    OwnedModel,
    Product,
    Team,
    owner_constraint,
    state_matches_status_constraint,
)


class LeadSource(models.IntegerChoices):
    """[leadsourcecode]"""

    ADVERTISEMENT = 1, "Advertisement"
    EMPLOYEE_REFERRAL = 2, "Employee Referral"
    EXTERNAL_REFERRAL = 3, "External Referral"
    PARTNER = 4, "Partner"
    PUBLIC_RELATIONS = 5, "Public Relations"
    SEMINAR = 6, "Seminar"
    TRADE_SHOW = 7, "Trade Show"
    WEB = 8, "Web"
    WORD_OF_MOUTH = 9, "Word of Mouth"
    OTHER = 10, "Other"


class LeadRating(models.IntegerChoices):
    """[leadqualitycode]"""

    HOT = 1, "Hot"
    WARM = 2, "Warm"
    COLD = 3, "Cold"


class BudgetStatus(models.IntegerChoices):
    NO_COMMITTED_BUDGET = 0, "No Committed Budget"
    MAY_BUY = 1, "May Buy"
    CAN_BUY = 2, "Can Buy"
    WILL_BUY = 3, "Will Buy"


class PurchaseTimeframe(models.IntegerChoices):
    IMMEDIATE = 0, "Immediate"
    THIS_QUARTER = 1, "This Quarter"
    NEXT_QUARTER = 2, "Next Quarter"
    THIS_YEAR = 3, "This Year"
    UNKNOWN = 4, "Unknown"


class PurchaseProcess(models.IntegerChoices):
    INDIVIDUAL = 0, "Individual"
    COMMITTEE = 1, "Committee"
    UNKNOWN = 2, "Unknown"


class Need(models.IntegerChoices):
    MUST_HAVE = 0, "Must have"
    SHOULD_HAVE = 1, "Should have"
    GOOD_TO_HAVE = 2, "Good to have"
    NO_NEED = 3, "No need"


class ContactMethod(models.IntegerChoices):
    """[preferredcontactmethodcode]"""

    ANY = 1, "Any"
    EMAIL = 2, "Email"
    PHONE = 3, "Phone"
    FAX = 4, "Fax"
    MAIL = 5, "Mail"


class LeadState(models.IntegerChoices):
    """[statecode]"""

    OPEN = 0, "Open"
    QUALIFIED = 1, "Qualified"
    DISQUALIFIED = 2, "Disqualified"


class LeadStatus(models.IntegerChoices):
    """Status reason [statuscode]; each belongs to exactly one state."""

    NEW = 1, "New"
    CONTACTED = 2, "Contacted"
    QUALIFIED = 3, "Qualified"
    LOST = 4, "Lost"
    CANNOT_CONTACT = 5, "Cannot Contact"
    NO_LONGER_INTERESTED = 6, "No Longer Interested"
    CANCELED = 7, "Canceled"


LEAD_STATE_OF_STATUS = {
    LeadStatus.NEW: LeadState.OPEN,
    LeadStatus.CONTACTED: LeadState.OPEN,
    LeadStatus.QUALIFIED: LeadState.QUALIFIED,
    LeadStatus.LOST: LeadState.DISQUALIFIED,
    LeadStatus.CANNOT_CONTACT: LeadState.DISQUALIFIED,
    LeadStatus.NO_LONGER_INTERESTED: LeadState.DISQUALIFIED,
    LeadStatus.CANCELED: LeadState.DISQUALIFIED,
}
OPEN_STATUSES = [LeadStatus.NEW, LeadStatus.CONTACTED]
DISQUALIFY_REASONS = [
    LeadStatus.LOST,
    LeadStatus.CANNOT_CONTACT,
    LeadStatus.NO_LONGER_INTERESTED,
    LeadStatus.CANCELED,
]
CLOSED_STATUSES = [LeadStatus.QUALIFIED, *DISQUALIFY_REASONS]


class Campaign(models.Model):
    """A marketing effort leads can come from; its cost feeds cost-per-lead."""

    name = models.CharField(max_length=128, unique=True)
    source = models.PositiveSmallIntegerField(
        choices=LeadSource.choices, null=True, blank=True
    )
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    cost = models.DecimalField(
        "actual cost", **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost__gte=0) | Q(cost__isnull=True),
                name="campaign_cost_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="campaign_period_ordered",
                violation_error_message="A campaign cannot end before it starts.",
            ),
        ]

    def __str__(self):
        return self.name


def new_capture_token():
    return secrets.token_urlsafe(16)


class CaptureForm(models.Model):
    """A public web form whose submissions become leads."""

    name = models.CharField(max_length=128)
    token = models.CharField(max_length=64, unique=True, default=new_capture_token)
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    default_source = models.PositiveSmallIntegerField(
        choices=LeadSource.choices, default=LeadSource.WEB
    )
    fields_shown = models.JSONField(
        default=list,
        blank=True,
        help_text="Lead field names shown besides last name, email and message.",
    )
    thank_you_text = models.TextField(default="Thank you, we will be in touch soon.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Lead(ConcurrentTransitionMixin, AddressFields, OwnedModel):
    """A person or company that showed interest and has not been qualified yet."""

    # Contact
    subject = models.CharField("topic", max_length=300)
    salutation = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=50, blank=True)
    last_name = models.CharField(max_length=50)
    job_title = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    business_phone = models.CharField(max_length=50, blank=True)
    mobile_phone = models.CharField(max_length=50, blank=True)
    # Company
    company_name = models.CharField("company", max_length=100, blank=True)
    website = models.URLField(max_length=200, blank=True)
    industry = models.PositiveSmallIntegerField(
        choices=Industry.choices, null=True, blank=True
    )
    annual_revenue = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    number_of_employees = models.PositiveIntegerField(
        "no. of employees", null=True, blank=True
    )
    description = models.TextField(blank=True)
    # Source and details
    source = models.PositiveSmallIntegerField(
        "lead source", choices=LeadSource.choices, null=True, blank=True
    )
    rating = models.PositiveSmallIntegerField(
        choices=LeadRating.choices, default=LeadRating.WARM
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    capture_form = models.ForeignKey(
        CaptureForm,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    channel_partner = models.ForeignKey(
        Account,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partner_leads",
        limit_choices_to={"is_partner": True},
    )
    original_message = models.TextField(
        blank=True, help_text="What the visitor wrote when the lead was captured."
    )
    # Qualification details
    budget_amount = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    budget_status = models.PositiveSmallIntegerField(
        choices=BudgetStatus.choices, null=True, blank=True
    )
    purchase_timeframe = models.PositiveSmallIntegerField(
        choices=PurchaseTimeframe.choices, null=True, blank=True
    )
    purchase_process = models.PositiveSmallIntegerField(
        choices=PurchaseProcess.choices, null=True, blank=True
    )
    decision_maker = models.BooleanField("decision maker?", default=False)
    need = models.PositiveSmallIntegerField(choices=Need.choices, null=True, blank=True)
    estimated_value = models.DecimalField(
        "est. value", **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    estimated_close_date = models.DateField("est. close date", null=True, blank=True)
    # Contact preferences
    preferred_contact_method = models.PositiveSmallIntegerField(
        choices=ContactMethod.choices, default=ContactMethod.ANY
    )
    do_not_email = models.BooleanField("do not allow email", default=False)
    do_not_bulk_email = models.BooleanField("do not allow bulk email", default=False)
    do_not_phone = models.BooleanField("do not allow phone calls", default=False)
    do_not_postal_mail = models.BooleanField("do not allow mail", default=False)
    # Related
    parent_account = models.ForeignKey(
        Account,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="existing account",
    )
    parent_contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="existing contact",
    )
    accounts = models.ManyToManyField(
        Account, through="LeadAccount", related_name="linked_leads", blank=True
    )
    contacts = models.ManyToManyField(
        Contact, through="LeadContact", related_name="linked_leads", blank=True
    )
    products = models.ManyToManyField(
        Product, through="LeadProduct", related_name="interested_leads", blank=True
    )
    # Lifecycle
    state = models.PositiveSmallIntegerField(
        choices=LeadState.choices, default=LeadState.OPEN, editable=False
    )
    status = FSMIntegerField(
        "status reason",
        choices=LeadStatus.choices,
        default=LeadStatus.NEW,
        protected=True,
    )
    qualified_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_activity_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the first activity on this lead was logged.",
    )
    qualifying_account = models.ForeignKey(
        Account,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="originating_leads",
        editable=False,
    )
    qualifying_contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="originating_leads",
        editable=False,
    )
    qualifying_opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="originating_leads",
        editable=False,
    )
    merged = models.BooleanField(default=False, editable=False)
    master = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_leads",
        editable=False,
        help_text="The lead this one was merged into.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            owner_constraint("lead_owner_user_xor_team"),
            state_matches_status_constraint(
                "lead_state_matches_status", LEAD_STATE_OF_STATUS
            ),
            models.CheckConstraint(
                condition=(Q(annual_revenue__gte=0) | Q(annual_revenue__isnull=True))
                & (Q(budget_amount__gte=0) | Q(budget_amount__isnull=True))
                & (Q(estimated_value__gte=0) | Q(estimated_value__isnull=True)),
                name="lead_money_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(merged=False) | Q(master__isnull=False),
                name="lead_merged_has_master",
                violation_error_message="A merged lead points at its master.",
            ),
        ]
        indexes = [
            # "My open leads" and the list's default order.
            models.Index(
                fields=["owner_user", "state", "-created_at"],
                name="lead_owner_state_created",
            ),
            models.Index(
                fields=["owner_team", "state", "-created_at"],
                name="lead_team_state_created",
            ),
            models.Index(
                fields=["business_unit", "state", "-created_at"],
                name="lead_bu_state_created",
            ),
            models.Index(fields=["state", "-created_at"], name="lead_state_created"),
            models.Index(fields=["-created_at", "-id"], name="lead_created"),
            models.Index(fields=["status"], name="lead_status"),
            models.Index(fields=["source", "created_at"], name="lead_source_created"),
            models.Index(fields=["rating"], name="lead_rating"),
            models.Index(
                fields=["campaign", "created_at"], name="lead_campaign_created"
            ),
            models.Index(fields=["estimated_close_date"], name="lead_est_close"),
            models.Index(fields=["email"], name="lead_email"),
            models.Index(fields=["last_name", "first_name"], name="lead_name"),
            models.Index(fields=["company_name"], name="lead_company"),
            models.Index(fields=["business_phone"], name="lead_phone"),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.subject})" if self.full_name else self.subject

    def get_absolute_url(self):
        return reverse("leads:detail", args=[self.pk])

    @property
    def full_name(self):
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def is_open(self):
        return self.state == LeadState.OPEN

    # Transitions set fields on this row only: services lock, link and log around them.
    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=LeadStatus.NEW,
        target=LeadStatus.CONTACTED,
        custom={"label": "Mark contacted"},
    )
    def mark_contacted(self, *, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=OPEN_STATUSES,
        target=LeadStatus.QUALIFIED,
        custom={"label": "Qualify"},
    )
    def qualify(self, *, by=None, description=None):
        now = timezone.now()
        self.state = LeadState.QUALIFIED
        self.qualified_at = now
        self.closed_at = now

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=OPEN_STATUSES,
        target=RETURN_VALUE(*DISQUALIFY_REASONS),
        custom={"label": "Disqualify"},
    )
    def disqualify(self, *, reason, by=None, description=None):
        if reason not in DISQUALIFY_REASONS:
            raise ValueError(f"{reason!r} is not a disqualification reason.")
        self.state = LeadState.DISQUALIFIED
        self.closed_at = timezone.now()
        return LeadStatus(reason)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=CLOSED_STATUSES,
        target=LeadStatus.NEW,
        custom={"label": "Reactivate"},
    )
    def reactivate(self, *, by=None, description=None):
        self.state = LeadState.OPEN
        self.qualified_at = None
        self.closed_at = None

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=OPEN_STATUSES,
        target=LeadStatus.CANCELED,
        custom={"label": "Merge into master", "admin": False},
    )
    def mark_merged(self, *, master, by=None, description=None):
        self.state = LeadState.DISQUALIFIED
        self.closed_at = timezone.now()
        self.merged = True
        self.master = master


class LeadAccount(models.Model):
    """A lead associated with an account (N:N, idempotent)."""

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="account_links"
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="lead_links"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "account"], name="lead_account_unique"
            )
        ]

    def __str__(self):
        return f"Lead {self.lead_id} ↔ account {self.account_id}"


class LeadContact(models.Model):
    """A lead associated with a contact (N:N, idempotent)."""

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="contact_links"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="lead_links"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "contact"], name="lead_contact_unique"
            )
        ]

    def __str__(self):
        return f"Lead {self.lead_id} ↔ contact {self.contact_id}"


class LeadProduct(models.Model):
    """A product or service the lead asked about (customer request)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="interests")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(
        max_digits=12, decimal_places=2, default=1, validators=[MinValueValidator(0)]
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "product"], name="lead_product_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="lead_product_quantity_non_negative"
            ),
        ]

    def __str__(self):
        return f"{self.product} × {self.quantity}"


# --- Timeline ----------------------------------------------------------------------


def regarding_constraint(name):
    """Exactly one of lead, account, contact, opportunity is set."""
    fields = ["lead", "account", "contact", "opportunity"]
    condition = Q()
    for chosen in fields:
        condition |= Q(
            **{f"{f}__isnull": f != chosen for f in fields},
        )
    return models.CheckConstraint(
        condition=condition,
        name=name,
        violation_error_message="A timeline item regards exactly one record.",
    )


class TimelineItem(models.Model):
    """Regards exactly one lead, account, contact or opportunity (explicit FKs)."""

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    @property
    def regarding(self):
        return self.lead or self.account or self.contact or self.opportunity


class ActivityKind(models.TextChoices):
    PHONE_CALL = "phone_call", "Phone call"
    EMAIL = "email", "Email"
    TASK = "task", "Task"
    APPOINTMENT = "appointment", "Appointment"


class Direction(models.TextChoices):
    INCOMING = "incoming", "Incoming"
    OUTGOING = "outgoing", "Outgoing"


class ActivityState(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"
    CANCELED = "canceled", "Canceled"


class Activity(FSMModelMixin, TimelineItem):
    """A phone call, email, task or appointment."""

    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    direction = models.CharField(max_length=10, choices=Direction.choices, blank=True)
    due_at = models.DateTimeField("due", null=True, blank=True)
    start_at = models.DateTimeField("start", null=True, blank=True)
    end_at = models.DateTimeField("end", null=True, blank=True)
    state = FSMField(
        max_length=10,
        choices=ActivityState.choices,
        default=ActivityState.OPEN,
        protected=True,
    )
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"
        constraints = [
            regarding_constraint("activity_regards_one_record"),
            models.CheckConstraint(
                condition=Q(end_at__isnull=True)
                | Q(start_at__isnull=True)
                | Q(end_at__gte=models.F("start_at")),
                name="activity_ends_after_start",
                violation_error_message="An appointment cannot end before it starts.",
            ),
        ]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="activity_lead"),
            models.Index(fields=["account", "-created_at"], name="activity_account"),
            models.Index(fields=["contact", "-created_at"], name="activity_contact"),
            models.Index(
                fields=["opportunity", "-created_at"], name="activity_opportunity"
            ),
            models.Index(fields=["owner", "state"], name="activity_owner_state"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.subject}"

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=ActivityState.OPEN,
        target=ActivityState.COMPLETED,
        custom={"label": "Complete"},
    )
    def complete(self, *, by=None, description=None):
        self.completed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=ActivityState.OPEN,
        target=ActivityState.CANCELED,
        custom={"label": "Cancel"},
    )
    def cancel(self, *, by=None, description=None):
        pass


class Note(TimelineItem):
    """A free-text note on a record."""

    title = models.CharField(max_length=200, blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [regarding_constraint("note_regards_one_record")]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="note_lead"),
            models.Index(fields=["account", "-created_at"], name="note_account"),
            models.Index(fields=["contact", "-created_at"], name="note_contact"),
            models.Index(
                fields=["opportunity", "-created_at"], name="note_opportunity"
            ),
        ]

    def __str__(self):
        return self.title or self.text[:60]


def attachment_path(instance, filename):
    # Stored under a generated name; the original name lives in the row only.
    return f"attachments/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class Attachment(TimelineItem):
    """A file attached to a record; served only through the access-checked view."""

    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [regarding_constraint("attachment_regards_one_record")]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="attachment_lead"),
            models.Index(fields=["account", "-created_at"], name="attachment_account"),
            models.Index(fields=["contact", "-created_at"], name="attachment_contact"),
            models.Index(
                fields=["opportunity", "-created_at"], name="attachment_opportunity"
            ),
        ]

    def __str__(self):
        return self.original_name


# --- Routing -----------------------------------------------------------------------


class Distribution(models.TextChoices):
    ROUND_ROBIN = "round_robin", "Round robin"
    LEAST_LOADED = "least_loaded", "Least loaded"


class RoutingRule(models.Model):
    """An ordered rule: conditions on lead fields and a user or team to assign to."""

    name = models.CharField(max_length=128)
    order = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    is_active = models.BooleanField(default=True)
    business_unit = models.ForeignKey(
        BusinessUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The unit this rule belongs to (managers edit their unit's rules).",
    )
    # Conditions: an empty condition matches every lead.
    source = models.PositiveSmallIntegerField(
        choices=LeadSource.choices, null=True, blank=True
    )
    country = models.CharField(max_length=80, blank=True)
    industry = models.PositiveSmallIntegerField(
        choices=Industry.choices, null=True, blank=True
    )
    min_employees = models.PositiveIntegerField(null=True, blank=True)
    max_employees = models.PositiveIntegerField(null=True, blank=True)
    min_estimated_value = models.DecimalField(**MONEY, null=True, blank=True)
    max_estimated_value = models.DecimalField(**MONEY, null=True, blank=True)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel_partner = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"is_partner": True},
    )
    capture_form = models.ForeignKey(
        CaptureForm, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    lead_business_unit = models.ForeignKey(
        BusinessUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Matches leads owned in this business unit.",
    )
    # Target
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    target_team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    distribution = models.CharField(
        max_length=20, choices=Distribution.choices, default=Distribution.ROUND_ROBIN
    )
    last_assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="Round-robin cursor: the member who got the previous lead.",
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(target_user__isnull=False) & Q(target_team__isnull=True))
                | (Q(target_user__isnull=True) & Q(target_team__isnull=False)),
                name="routing_rule_target_user_xor_team",
                violation_error_message="A rule assigns to a user or to a team, exactly one.",
            ),
        ]
        indexes = [
            models.Index(fields=["is_active", "order"], name="routing_rule_active")
        ]

    def __str__(self):
        return self.name


class AssignmentReason(models.TextChoices):
    MATCHED = "matched", "Matched rule"
    FALLBACK = "fallback", "No match: fallback"
    TEAM_FULL = "team_full", "Team full: fallback"
    MANUAL = "manual", "Assigned by hand"


class LeadAssignment(models.Model):
    """The assignment log: who got a lead, through which rule, and why."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="assignments")
    rule = models.ForeignKey(
        RoutingRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
    )
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=AssignmentReason.choices)
    detail = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lead", "-created_at"], name="assignment_lead")]

    def __str__(self):
        return f"{self.lead_id} → {self.assigned_user or self.assigned_team} ({self.reason})"
