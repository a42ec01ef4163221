"""Reads for the stage bar (Qualify on the lead; Develop, Propose, Close on the
opportunity): the steps, an opportunity's ticks and its time in each stage."""

from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import (
    Opportunity,
    SalesStage,
    StageProcess,
    StageStep,
    StageVisit,
    StepCheck,
    process_steps,
    step_value_present,
)
from leads.models import Lead

OPPORTUNITY_STAGES = (SalesStage.DEVELOP, SalesStage.PROPOSE, SalesStage.CLOSE)


@dataclass(frozen=True)
class StepState:
    step: StageStep
    complete: bool

    @property
    def checklist(self) -> bool:
        return not self.step.field


@dataclass(frozen=True)
class StageState:
    stage: SalesStage
    where: str  # "lead" or "opportunity": whose record holds the stage
    status: str  # "done", "current", "next" or "later"
    steps: list[StepState]
    days: float | None  # time spent in it, when known

    @property
    def label(self) -> str:
        return self.stage.label

    @property
    def complete_count(self) -> int:
        return sum(1 for state in self.steps if state.complete)

    @property
    def missing_required(self) -> list[StageStep]:
        return [s.step for s in self.steps if s.step.required and not s.complete]


def _steps_by_stage(record, process: str) -> dict[int, list[StageStep]]:
    """The process's steps by stage, read once per record (shared with the
    transitions' guards: accounts.models.process_steps)."""
    steps = defaultdict(list)
    for step in process_steps(record, process):
        steps[step.stage].append(step)
    return steps


def _days(seconds: float) -> float:
    return round(seconds / 86400, 1)


def lead_stages(lead: Lead) -> list[StageState]:
    """The lead's bar: its Qualify stage with the steps, then the opportunity's
    stages (the lead's qualifying opportunity holds them once it is qualified)."""
    steps = _steps_by_stage(lead, StageProcess.LEAD)[SalesStage.QUALIFY]
    qualified = lead.is_qualified
    end = lead.qualified_at if qualified else None
    qualify_days = None
    if qualified and end:
        qualify_days = _days((end - lead.created_at).total_seconds())
    elif lead.is_open:
        qualify_days = _days((timezone.now() - lead.created_at).total_seconds())
    stages = [
        StageState(
            stage=SalesStage.QUALIFY,
            where="lead",
            status="done" if qualified else "current",
            steps=[
                StepState(step, step_value_present(lead, step, set())) for step in steps
            ],
            days=qualify_days,
        )
    ]
    for position, stage in enumerate(OPPORTUNITY_STAGES):
        status = "next" if position == 0 and not qualified else "later"
        stages.append(
            StageState(
                stage=stage, where="opportunity", status=status, steps=[], days=None
            )
        )
    return stages


def opportunity_stages(opportunity: Opportunity) -> list[StageState]:
    """The opportunity's bar: Qualify, Develop, Propose, Close with their steps
    (complete or not), the time spent in each (its visits), and where it is now."""
    steps = _steps_by_stage(opportunity, StageProcess.OPPORTUNITY)
    checked = set(
        StepCheck.objects.filter(opportunity=opportunity).values_list(
            "step_id", flat=True
        )
    )
    now = timezone.now()
    spent = defaultdict(float)
    for stage, entered, left in StageVisit.objects.filter(
        opportunity=opportunity
    ).values_list("stage", "entered_at", "left_at"):
        spent[stage] += ((left or now) - entered).total_seconds()
    current = opportunity.sales_stage
    stages = []
    # Qualify first: done on the lead it came from, or where a new deal starts.
    for stage in (SalesStage.QUALIFY, *OPPORTUNITY_STAGES):
        if not opportunity.is_open:
            status = "done" if stage <= current else "later"
        elif stage < current:
            status = "done"
        elif stage == current:
            status = "current"
        else:
            status = "next" if stage == current + 1 else "later"
        stages.append(
            StageState(
                stage=stage,
                where="opportunity",
                status=status,
                steps=[
                    StepState(step, step_value_present(opportunity, step, checked))
                    for step in steps[stage]
                ],
                days=_days(spent[stage]) if stage in spent else None,
            )
        )
    return stages
