"""The lead and its state machine."""

import functools

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import (
    RETURN_VALUE,
    ConcurrentTransitionMixin,
    FSMFieldMixin,
    FSMIntegerField,
    transition,
)
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from accounts.models import (
    MONEY,
    Account,
    AddressFields,
    Contact,
    Industry,
    Opportunity,
    OwnedModel,
    Product,
)
from leads.models import guards
from leads.models.capture import Campaign, CaptureForm
from leads.models.choices import (
    CLOSED_STATUSES,
    DISQUALIFY_REASONS,
    OPEN_STATUSES,
    BudgetStatus,
    ContactMethod,
    LeadRating,
    LeadSource,
    LeadState,
    LeadStatus,
    Need,
    PurchaseProcess,
    PurchaseTimeframe,
)
from leads.models.guards import WORK_LEADS, no_open_qualifying_opportunity, not_merged
from leads.models.lead_table import LEAD_CONSTRAINTS, LEAD_INDEXES
from leadsite.core.dates import (
    validate_business_date,
)
from leadsite.core.history import record_history
from leadsite.core.phones import phone_digits_field

PHONE_DIGIT_FIELDS = ["business_phone_digits", "mobile_phone_digits"]


@functools.cache
def _state_fields(model) -> tuple:
    return tuple(f for f in model._meta.fields if isinstance(f, FSMFieldMixin))


class Lead(ConcurrentTransitionMixin, AddressFields, OwnedModel):
    """A person or company that showed interest and has not been qualified yet.

    Database triggers report_dirty_leads_lead_insert, _update and _delete (leads
    migration 0006_source_report_triggers) mark the creation day of every lead a
    write touches for the source report's summary (leads.models.reports).
    """

    @property
    def state_fields(self):
        # ConcurrentTransitionMixin scans the model's sixty fields for its state
        # fields on every lead it loads (fifty a list page); they never change.
        return _state_fields(type(self))

    # Contact
    subject = models.CharField(_("topic"), max_length=300)
    salutation = models.CharField(_("salutation"), max_length=20, blank=True)
    first_name = models.CharField(_("first name"), max_length=50, blank=True)
    last_name = models.CharField(_("last name"), max_length=50)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    business_phone = models.CharField(_("business phone"), max_length=50, blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=50, blank=True)
    # The phones' digits, kept by the database on every write (leadsite.core.phones):
    # search and duplicate checks compare these, whatever the formatting.
    business_phone_digits = phone_digits_field("business_phone")
    mobile_phone_digits = phone_digits_field("mobile_phone")
    # Company
    company_name = models.CharField(_("company"), max_length=100, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    industry = models.PositiveSmallIntegerField(
        _("industry"), choices=Industry.choices, null=True, blank=True
    )
    annual_revenue = models.DecimalField(
        _("annual revenue"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    number_of_employees = models.PositiveIntegerField(
        _("no. of employees"), null=True, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    # Source and details
    source = models.PositiveSmallIntegerField(
        _("lead source"), choices=LeadSource.choices, null=True, blank=True
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), choices=LeadRating.choices, default=LeadRating.WARM
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    capture_form = models.ForeignKey(
        CaptureForm,
        verbose_name=_("capture form"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    channel_partner = models.ForeignKey(
        Account,
        verbose_name=_("channel partner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partner_leads",
        limit_choices_to={"is_partner": True},
    )
    original_message = models.TextField(
        _("original message"),
        blank=True,
        help_text=_("What the visitor wrote when the lead was captured."),
    )
    # Qualification details
    budget_amount = models.DecimalField(
        _("budget amount"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    budget_status = models.PositiveSmallIntegerField(
        _("budget status"), choices=BudgetStatus.choices, null=True, blank=True
    )
    purchase_timeframe = models.PositiveSmallIntegerField(
        _("purchase timeframe"),
        choices=PurchaseTimeframe.choices,
        null=True,
        blank=True,
    )
    purchase_process = models.PositiveSmallIntegerField(
        _("purchase process"), choices=PurchaseProcess.choices, null=True, blank=True
    )
    decision_maker = models.BooleanField(_("decision maker?"), default=False)
    need = models.PositiveSmallIntegerField(
        _("need"), choices=Need.choices, null=True, blank=True
    )
    estimated_value = models.DecimalField(
        _("est. value"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    estimated_close_date = models.DateField(
        _("est. close date"), null=True, blank=True, validators=[validate_business_date]
    )
    # Contact preferences
    preferred_contact_method = models.PositiveSmallIntegerField(
        _("preferred contact method"),
        choices=ContactMethod.choices,
        default=ContactMethod.ANY,
    )
    do_not_email = models.BooleanField(_("do not allow email"), default=False)
    do_not_bulk_email = models.BooleanField(_("do not allow bulk email"), default=False)
    do_not_phone = models.BooleanField(_("do not allow phone calls"), default=False)
    do_not_postal_mail = models.BooleanField(_("do not allow mail"), default=False)
    # Related
    parent_account = models.ForeignKey(
        Account,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("existing account"),
    )
    parent_contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("existing contact"),
    )
    accounts = models.ManyToManyField(
        Account,
        verbose_name=_("accounts"),
        through="LeadAccount",
        related_name="linked_leads",
        blank=True,
    )
    contacts = models.ManyToManyField(
        Contact,
        verbose_name=_("contacts"),
        through="LeadContact",
        related_name="linked_leads",
        blank=True,
    )
    products = models.ManyToManyField(
        Product,
        verbose_name=_("products"),
        through="LeadProduct",
        related_name="interested_leads",
        blank=True,
    )
    # Lifecycle
    state = models.PositiveSmallIntegerField(
        _("state"), choices=LeadState.choices, default=LeadState.OPEN, editable=False
    )
    status = FSMIntegerField(
        _("status reason"),
        choices=LeadStatus.choices,
        default=LeadStatus.NEW,
        protected=True,
    )
    qualified_at = models.DateTimeField(
        _("qualified at"), null=True, blank=True, editable=False
    )
    closed_at = models.DateTimeField(
        _("closed at"), null=True, blank=True, editable=False
    )
    first_activity_at = models.DateTimeField(
        _("first activity at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the first activity on this lead was logged."),
    )
    qualifying_account = models.ForeignKey(
        Account,
        verbose_name=_("qualifying account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="originating_leads",
        editable=False,
    )
    qualifying_contact = models.ForeignKey(
        Contact,
        verbose_name=_("qualifying contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="originating_leads",
        editable=False,
    )
    qualifying_opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("qualifying opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="originating_leads",
        editable=False,
    )
    merged = models.BooleanField(_("merged"), default=False, editable=False)
    master = models.ForeignKey(
        "self",
        verbose_name=_("master"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_leads",
        editable=False,
        help_text=_("The lead this one was merged into."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # The lead's record ID in the system it was imported from (a D365 export's
    # "(Do Not Modify) Lead" GUID...): a second import of the same file finds it.
    external_system = models.CharField(
        _("external system"), max_length=20, blank=True, editable=False
    )
    external_id = models.CharField(
        _("external id"), max_length=100, null=True, blank=True, editable=False
    )

    # The digit columns follow the phones: nothing to audit of their own.
    history = record_history(excluded_fields=PHONE_DIGIT_FIELDS)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        constraints = LEAD_CONSTRAINTS
        indexes = LEAD_INDEXES

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

    @property
    def is_editable(self):
        """Whether the lead's fields, links, owner and routing may change: only while
        open. A closed lead (qualified, disqualified, merged) is read-only until
        reactivated; leads.exceptions.closed_message says why."""
        return self.state == LeadState.OPEN

    @property
    def is_qualified(self):
        return self.state == LeadState.QUALIFIED

    @property
    def is_disqualified(self):
        return self.state == LeadState.DISQUALIFIED

    @property
    def state_name(self):
        """ "open", "qualified" or "disqualified": for templates and CSS classes."""
        return LeadState(self.state).name.lower()

    # Transitions set fields on this row only: services lock, link and log around them.
    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=LeadStatus.NEW,
        target=LeadStatus.CONTACTED,
        permission=WORK_LEADS,
        custom={
            "label": _("Mark contacted"),
            "url": "leads:mark-contacted",
            "post": True,
        },
    )
    def mark_contacted(self, *, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=OPEN_STATUSES,
        target=LeadStatus.QUALIFIED,
        conditions=[guards.qualify_steps_complete],
        permission=WORK_LEADS,
        custom={"label": _("Qualify"), "url": "leads:qualify", "style": "primary"},
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
        conditions=[no_open_qualifying_opportunity],
        permission=WORK_LEADS,
        custom={"label": _("Disqualify"), "url": "leads:disqualify", "style": "danger"},
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
        conditions=[not_merged],
        permission=WORK_LEADS,
        custom={
            "label": _("Reactivate"),
            "url": "leads:reactivate",
            "post": True,
            "style": "primary",
            "confirm": _(
                "Reactivate this lead? It becomes Open / New again and keeps "
                "everything it had."
            ),
        },
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
        custom={"label": _("Merge into master"), "admin": False},
    )
    def mark_merged(self, *, master, by=None, description=None):
        self.state = LeadState.DISQUALIFIED
        self.closed_at = timezone.now()
        self.merged = True
        self.master = master
