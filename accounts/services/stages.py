"""The stage bar's writes: an opportunity's moves between stages (through the state
machine's advance() and step_back(), so a stage's required steps gate every path),
checklist ticks, and the visits that record the time spent in each stage."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from accounts.models import (
    Opportunity,
    SalesStage,
    StageProcess,
    StageStep,
    StageVisit,
    StepCheck,
    User,
    missing_required_steps,
)
from leadsite.core.services import service
from leadsite.core.versioning import check_version

CLOSED_MESSAGE = _("This opportunity is closed; reopen it before changing its stage.")


def steps_refusal(stage: int, missing: list[StageStep]) -> str:
    """Why a record may not leave `stage`: the required steps still open."""
    names = ", ".join(step.display_name for step in missing)
    return gettext("Complete the %(stage)s stage first: %(steps)s.") % {
        "stage": SalesStage(stage).label,
        "steps": names,
    }


def open_visit(opportunity: Opportunity, *, at=None) -> None:
    """The opportunity enters its current stage (a new or reopened one)."""
    StageVisit.objects.create(
        opportunity=opportunity,
        stage=opportunity.sales_stage,
        entered_at=at or timezone.now(),
    )


def close_visit(opportunity: Opportunity, *, at=None) -> None:
    """The opportunity leaves the stage it is in (moved on, won or lost)."""
    StageVisit.objects.filter(opportunity=opportunity, left_at__isnull=True).update(
        left_at=at or timezone.now()
    )


def move_stage(opportunity: Opportunity, stage: int, *, by: User | None) -> bool:
    """Move the (locked, unsaved) opportunity to `stage` one step at a time through
    the transitions, each forward step needing its stage's required steps; records
    the visits. Raises ValidationError on the sales stage with the reason. Returns
    whether the stage changed; the caller saves."""
    stage = SalesStage(int(stage))
    if stage == opportunity.sales_stage:
        return False
    if not opportunity.is_open:
        raise ValidationError({"sales_stage": str(CLOSED_MESSAGE)}, code="closed")
    while opportunity.sales_stage != stage:
        forward = stage > opportunity.sales_stage
        step = opportunity.advance if forward else opportunity.step_back
        if not can_proceed(step):
            missing = missing_required_steps(
                opportunity, StageProcess.OPPORTUNITY, opportunity.sales_stage
            )
            raise ValidationError(
                {"sales_stage": steps_refusal(opportunity.sales_stage, missing)},
                code="stage_steps",
            )
        step(by=by)
    now = timezone.now()
    close_visit(opportunity, at=now)
    open_visit(opportunity, at=now)
    return True


def check_start_stage(opportunity: Opportunity) -> None:
    """A new opportunity may start at a later stage only when the required steps of
    the stages before it are complete (it has no ticks yet)."""
    for earlier in range(SalesStage.QUALIFY, opportunity.sales_stage):
        missing = missing_required_steps(
            opportunity, StageProcess.OPPORTUNITY, earlier, checked=set()
        )
        if missing:
            raise ValidationError(
                {"sales_stage": steps_refusal(earlier, missing)}, code="stage_steps"
            )


@service
@transaction.atomic
def move_opportunity_stage(
    *,
    opportunity: Opportunity,
    stage: int,
    by: User,
    expected_version: int | None = None,
) -> Opportunity:
    """The stage bar's Next / Previous stage (and the board's drop): locks the row,
    checks the version the page was loaded at, moves through the state machine."""
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    check_version(opportunity, expected_version)
    if move_stage(opportunity, stage, by=by):
        opportunity.version += 1
        opportunity.save()
    return opportunity


@service
@transaction.atomic
def set_step_checked(
    *, opportunity: Opportunity, step: StageStep, checked: bool, by: User
) -> Opportunity:
    """Tick or untick a checklist step on an open opportunity (idempotent)."""
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if not opportunity.is_open:
        raise ValidationError(str(CLOSED_MESSAGE), code="closed")
    if step.process != StageProcess.OPPORTUNITY or step.field:
        raise ValidationError(
            gettext("That step is not a checklist item."), code="not_checklist"
        )
    if checked:
        StepCheck.objects.get_or_create(
            opportunity=opportunity, step=step, defaults={"checked_by": by}
        )
    else:
        StepCheck.objects.filter(opportunity=opportunity, step=step).delete()
    return opportunity


STEP_FIELDS = ("process", "stage", "name", "field", "required", "position")


@service
@transaction.atomic
def create_stage_step(*, by: User, **fields) -> StageStep:
    """An administrator adds a step to a stage."""
    step = StageStep(**{name: fields[name] for name in STEP_FIELDS if name in fields})
    step.full_clean()
    step.save()
    return step


@service
@transaction.atomic
def update_stage_step(*, step: StageStep, by: User, **fields) -> StageStep:
    """An administrator renames a step, changes its field or makes it required."""
    step = StageStep.objects.select_for_update().get(pk=step.pk)
    for name in STEP_FIELDS:
        if name in fields:
            setattr(step, name, fields[name])
    step.full_clean()
    step.save()
    return step


@service
@transaction.atomic
def delete_stage_step(*, step: StageStep, by: User) -> None:
    """Removes a step (and its ticks): records no longer wait on it."""
    StageStep.objects.filter(pk=step.pk).delete()
