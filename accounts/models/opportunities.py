"""Opportunities, their open/won/lost state machine and product lines."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMIntegerField, FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from accounts.models.common import (
    MONEY,
    OwnedModel,
    owner_constraint,
    state_matches_status_constraint,
)
from accounts.models.customers import Account, Contact
from accounts.models.organisation import Product
from accounts.models.stages import (
    SalesStage,
    StageProcess,
    missing_required_steps,
)
from leadsite.core.dates import business_date_check, validate_business_date
from leadsite.core.history import record_history


class OpportunityState(models.IntegerChoices):
    OPEN = 0, _("Open")
    WON = 1, _("Won")
    LOST = 2, _("Lost")


class OpportunityStatus(models.IntegerChoices):
    """Status reason [statuscode]; each belongs to exactly one state."""

    IN_PROGRESS = 1, _("In Progress")
    ON_HOLD = 2, _("On Hold")
    WON = 3, _("Won")
    CANCELED = 4, _("Canceled")
    OUT_SOLD = 5, _("Out-Sold")


OPPORTUNITY_STATE_OF_STATUS = {
    OpportunityStatus.IN_PROGRESS: OpportunityState.OPEN,
    OpportunityStatus.ON_HOLD: OpportunityState.OPEN,
    OpportunityStatus.WON: OpportunityState.WON,
    OpportunityStatus.CANCELED: OpportunityState.LOST,
    OpportunityStatus.OUT_SOLD: OpportunityState.LOST,
}
OPPORTUNITY_LOST_REASONS = [OpportunityStatus.CANCELED, OpportunityStatus.OUT_SOLD]


# The probability an open deal usually has at each stage: demo data, the form's
# hint, and what a reopened opportunity starts from.
TYPICAL_PROBABILITY = {
    SalesStage.QUALIFY: 10,
    SalesStage.DEVELOP: 30,
    SalesStage.PROPOSE: 60,
    SalesStage.CLOSE: 80,
}


def is_open_opportunity(opportunity) -> bool:
    return opportunity.state == OpportunityState.OPEN


def current_stage_complete(opportunity) -> bool:
    """The required steps of the opportunity's stage are complete."""
    return not missing_required_steps(
        opportunity, StageProcess.OPPORTUNITY, opportunity.sales_stage
    )


class Opportunity(FSMModelMixin, OwnedModel):
    """A potential deal with an account or contact, often born from a qualified lead.

    Database triggers report_dirty_accounts_opportunity_update and _delete (the leads
    app's source report) mark the day of the lead it came from.
    """

    name = models.CharField(_("topic"), max_length=300)
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
        verbose_name=_("customer account"),
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
        verbose_name=_("customer contact"),
    )
    description = models.TextField(_("description"), blank=True)
    estimated_value = models.DecimalField(
        _("est. revenue"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    estimated_close_date = models.DateField(
        _("est. close date"), null=True, blank=True, validators=[validate_business_date]
    )
    # Moves by the transitions advance() and step_back() (services: the stage bar,
    # the form, the API and the board), so a stage's required steps gate them all.
    sales_stage = FSMIntegerField(
        _("sales stage"),
        choices=SalesStage.choices,
        default=SalesStage.QUALIFY,
    )
    close_probability = models.PositiveSmallIntegerField(
        _("probability (%)"),
        default=TYPICAL_PROBABILITY[SalesStage.QUALIFY],
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("The chance of winning, 0–100 %; weighs the pipeline total."),
    )
    actual_value = models.DecimalField(
        _("actual revenue"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    actual_close_date = models.DateField(
        _("actual close date"),
        null=True,
        blank=True,
        validators=[validate_business_date],
    )
    state = models.PositiveSmallIntegerField(
        _("state"),
        choices=OpportunityState.choices,
        default=OpportunityState.OPEN,
        editable=False,
    )
    status = FSMIntegerField(
        _("status reason"),
        choices=OpportunityStatus.choices,
        default=OpportunityStatus.IN_PROGRESS,
        protected=True,
    )
    closed_at = models.DateTimeField(
        _("closed at"), null=True, blank=True, editable=False
    )
    products = models.ManyToManyField(
        Product,
        verbose_name=_("products"),
        through="OpportunityProduct",
        related_name="opportunities",
        blank=True,
    )

    history = record_history()

    class Meta:
        verbose_name = _("opportunity")
        ordering = ["-created_at"]
        verbose_name_plural = _("opportunities")
        constraints = [
            owner_constraint("opportunity_owner_user_xor_team"),
            state_matches_status_constraint(
                "opportunity_state_matches_status", OPPORTUNITY_STATE_OF_STATUS
            ),
            models.CheckConstraint(
                condition=Q(account__isnull=False) | Q(contact__isnull=False),
                name="opportunity_has_customer",
                violation_error_message=_(
                    "An opportunity needs a customer account or contact."
                ),
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
                violation_error_message=_(
                    "A won opportunity needs actual revenue and close date."
                ),
            ),
            models.CheckConstraint(
                condition=Q(close_probability__gte=0) & Q(close_probability__lte=100),
                name="opportunity_probability_0_100",
                violation_error_message=_("The probability is a percentage: 0 to 100."),
            ),
            models.CheckConstraint(
                condition=Q(sales_stage__in=SalesStage.values),
                name="opportunity_sales_stage_known",
                violation_error_message=_("Unknown sales stage."),
            ),
            business_date_check("opportunity", "estimated_close_date"),
            business_date_check("opportunity", "actual_close_date"),
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
    def weighted_value(self):
        """Estimated revenue times the probability (None without an estimate)."""
        if self.estimated_value is None:
            return None
        weighted = self.estimated_value * self.close_probability / 100
        return weighted.quantize(Decimal("0.01"))

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
        custom={"label": _("Close as won")},
    )
    def win(self, *, actual_value, actual_close_date, by=None, description=None):
        self.state = OpportunityState.WON
        self.sales_stage = SalesStage.CLOSE
        self.close_probability = 100
        self.actual_value = actual_value
        self.actual_close_date = actual_close_date
        self.closed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[OpportunityStatus.IN_PROGRESS, OpportunityStatus.ON_HOLD],
        target=RETURN_VALUE(*OPPORTUNITY_LOST_REASONS),
        custom={"label": _("Close as lost")},
    )
    def lose(self, *, reason, actual_close_date=None, by=None, description=None):
        if reason not in OPPORTUNITY_LOST_REASONS:
            raise ValueError(f"{reason!r} is not a reason to lose an opportunity.")
        self.state = OpportunityState.LOST
        self.close_probability = 0
        self.actual_close_date = actual_close_date or timezone.localdate()
        self.closed_at = timezone.now()
        return reason

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=sales_stage,
        source=[SalesStage.QUALIFY, SalesStage.DEVELOP, SalesStage.PROPOSE],
        target=RETURN_VALUE(SalesStage.DEVELOP, SalesStage.PROPOSE, SalesStage.CLOSE),
        conditions=[is_open_opportunity, current_stage_complete],
        custom={"label": _("Next stage")},
    )
    def advance(self, *, by=None, description=None):
        """On to the next stage, once this one's required steps are complete."""
        return SalesStage(self.sales_stage + 1)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=sales_stage,
        source=[SalesStage.DEVELOP, SalesStage.PROPOSE, SalesStage.CLOSE],
        target=RETURN_VALUE(SalesStage.QUALIFY, SalesStage.DEVELOP, SalesStage.PROPOSE),
        conditions=[is_open_opportunity],
        custom={"label": _("Previous stage")},
    )
    def step_back(self, *, by=None, description=None):
        return SalesStage(self.sales_stage - 1)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[OpportunityStatus.WON, *OPPORTUNITY_LOST_REASONS],
        target=OpportunityStatus.IN_PROGRESS,
        custom={"label": _("Reopen")},
    )
    def reopen(self, *, by=None, description=None):
        self.state = OpportunityState.OPEN
        self.close_probability = TYPICAL_PROBABILITY[self.sales_stage]
        self.actual_value = None
        self.actual_close_date = None
        self.closed_at = None


class OpportunityProduct(models.Model):
    """A product line on an opportunity."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="product_lines",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
    )
    price_per_unit = models.DecimalField(
        _("price per unit"), **MONEY, default=0, validators=[MinValueValidator(0)]
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("opportunity product")
        verbose_name_plural = _("opportunity products")
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
