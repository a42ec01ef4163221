"""The sales process as a stage bar: Qualify on the lead, then Develop, Propose and
Close on the opportunity. Each stage has steps an administrator defines (a field of
the record that must hold a value, or a checklist item a user ticks); a required
step must be complete before the record moves on (the state machines' conditions:
Lead.qualify, Opportunity.advance). Time in each opportunity stage is kept as visits."""

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _


class SalesStage(models.IntegerChoices):
    """Sales stage [salesstagecode]: how far the deal has come."""

    QUALIFY = 0, _("Qualify")
    DEVELOP = 1, _("Develop")
    PROPOSE = 2, _("Propose")
    CLOSE = 3, _("Close")


class StageProcess(models.TextChoices):
    LEAD = "lead", _("Lead")
    OPPORTUNITY = "opportunity", _("Opportunity")


# The names of the steps a fresh database starts with (migration 0008): stored as
# data in English, shown in the reader's language (StageStep.display_name). A step
# an administrator names shows as they named it.
DEFAULT_STEP_NAMES = [
    gettext_noop("Budget status"),
    gettext_noop("Budget amount"),
    gettext_noop("Purchase timeframe"),
    gettext_noop("Purchase process"),
    gettext_noop("Decision maker identified"),
    gettext_noop("Need"),
    gettext_noop("Estimated revenue"),
    gettext_noop("Customer's contact"),
    gettext_noop("Needs analysed with the customer"),
    gettext_noop("Estimated close date"),
    gettext_noop("Proposal sent"),
    gettext_noop("Final proposal presented"),
    gettext_noop("Decision date confirmed"),
]


class StageStep(models.Model):
    """One step of a stage: a field that must hold a value, or (no field) a checklist
    item ticked on the opportunity."""

    process = models.CharField(
        _("process"), max_length=12, choices=StageProcess.choices
    )
    stage = models.PositiveSmallIntegerField(_("stage"), choices=SalesStage.choices)
    name = models.CharField(_("name"), max_length=100)
    field = models.CharField(
        _("field"),
        max_length=40,
        blank=True,
        help_text=_(
            "A field of the record that completes the step when it has a value; "
            "empty: a checklist item users tick (opportunities only)."
        ),
    )
    required = models.BooleanField(
        _("required"),
        default=False,
        help_text=_("Must be complete before the record moves on."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("stage step")
        verbose_name_plural = _("stage steps")
        ordering = ["process", "stage", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["process", "stage", "name"],
                name="stagestep_unique_name",
                violation_error_message=_(
                    "This stage already has a step of that name."
                ),
            ),
            models.CheckConstraint(
                condition=Q(process=StageProcess.LEAD, stage=SalesStage.QUALIFY)
                | (Q(process=StageProcess.OPPORTUNITY) & ~Q(stage=SalesStage.QUALIFY)),
                name="stagestep_process_owns_stage",
                violation_error_message=(
                    _(
                        "Qualify is the lead's stage; Develop, Propose and Close are the "
                        "opportunity's."
                    )
                ),
            ),
            models.CheckConstraint(
                condition=Q(process=StageProcess.OPPORTUNITY) | ~Q(field=""),
                name="stagestep_lead_steps_are_fields",
                violation_error_message=_("A lead's steps are fields of the lead."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the reader's language when it is one of the default steps'
        (DEFAULT_STEP_NAMES), else as the administrator wrote it."""
        if self.name in DEFAULT_STEP_NAMES:
            return gettext(self.name)
        return self.name

    def clean(self):
        if not self.field:
            return
        model = apps.get_model(
            "leads.Lead"
            if self.process == StageProcess.LEAD
            else "accounts.Opportunity"
        )
        try:
            field = model._meta.get_field(self.field)
        except FieldDoesNotExist:
            field = None
        if field is None or not field.concrete or not field.editable:
            raise ValidationError(
                {
                    "field": gettext("The %(model)s has no field “%(field)s”.")
                    % {"model": model._meta.verbose_name, "field": self.field}
                }
            )


class StepCheck(models.Model):
    """A ticked checklist step on one opportunity."""

    opportunity = models.ForeignKey(
        "accounts.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="step_checks",
    )
    step = models.ForeignKey(
        StageStep, verbose_name=_("step"), on_delete=models.CASCADE, related_name="+"
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)

    class Meta:
        verbose_name = _("step check")
        verbose_name_plural = _("step checks")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "step"], name="stepcheck_once_per_step"
            )
        ]

    def __str__(self):
        return f"{self.step} ✓"


class StageVisit(models.Model):
    """An opportunity's time in one stage: from entering it to leaving it (empty
    while it is there; a closed opportunity has left its last stage)."""

    opportunity = models.ForeignKey(
        "accounts.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="stage_visits",
    )
    stage = models.PositiveSmallIntegerField(_("stage"), choices=SalesStage.choices)
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stage visit")
        verbose_name_plural = _("stage visits")
        ordering = ["entered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity"],
                condition=Q(left_at__isnull=True),
                name="stagevisit_one_open_per_opportunity",
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True)
                | Q(left_at__gte=models.F("entered_at")),
                name="stagevisit_leaves_after_entering",
            ),
        ]
        indexes = [models.Index(fields=["opportunity", "stage"], name="stagevisit_opp")]

    def __str__(self):
        return gettext("%(stage)s from %(date)s") % {
            "stage": self.get_stage_display(),
            "date": date_format(
                timezone.localtime(self.entered_at), "SHORT_DATE_FORMAT"
            ),
        }


def step_value_present(record, step: StageStep, checked: set[int]) -> bool:
    """Whether `step` is complete on `record`: its field holds a value (False counts
    as a value for a yes/no field only when True), or it is ticked."""
    if not step.field:
        return step.pk in checked
    try:
        field = record._meta.get_field(step.field)
    except FieldDoesNotExist:
        return False
    value = getattr(record, field.attname, None)
    return not (value is None or value == "" or value is False)


def process_steps(record, process: str) -> list[StageStep]:
    """Every step of `process`, in order, read once per `record` object (one query;
    the record lives as long as the request): the transitions' guards and the stage
    bar of the same page share the read."""
    cache = record.__dict__.setdefault("_leadsite_stage_steps", {})
    if process not in cache:
        cache[process] = list(StageStep.objects.filter(process=process))
    return cache[process]


def missing_required_steps(
    record, process: str, stage: int, *, checked=None
) -> list[StageStep]:
    """The required steps of `stage` not complete on `record` (reads the steps once
    per record, see process_steps, and an opportunity's ticks unless `checked` is
    given)."""
    steps = [
        step
        for step in process_steps(record, process)
        if step.stage == stage and step.required
    ]
    if not steps:
        return []
    if checked is None:
        checked = (
            set(record.step_checks.values_list("step_id", flat=True))
            if process == StageProcess.OPPORTUNITY and record.pk
            else set()
        )
    return [step for step in steps if not step_value_present(record, step, checked)]
