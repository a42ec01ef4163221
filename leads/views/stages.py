"""The stage bar's writes on an opportunity page: move it to the next or previous
stage (the state machine's advance/step_back through the service, with the version
the page showed), tick a checklist step. POST only, post/redirect/get."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.models import StageProcess, StageStep
from accounts.services import stages as stage_services
from leads.forms.stages import StageMoveForm, StepCheckForm
from leads.views.common import back_to, fail, form_error_message, record_or_404
from leadsite.core.errors import error_message


@require_POST
def move_stage(request, pk):
    opportunity = record_or_404(request, "opportunity", pk)
    form = StageMoveForm(request.POST)
    if not form.is_valid():
        fail(request, gettext("The stage did not change"), form_error_message(form))
        return back_to(opportunity, "#stages")
    try:
        moved = stage_services.move_opportunity_stage(
            opportunity=opportunity,
            stage=form.cleaned_data["stage"],
            by=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as error:
        fail(request, gettext("The stage did not change"), error_message(error))
    else:
        messages.success(
            request,
            gettext("Stage: %(stage)s.") % {"stage": moved.get_sales_stage_display()},
        )
    return back_to(opportunity, "#stages")


@require_POST
def check_step(request, pk, step_id):
    opportunity = record_or_404(request, "opportunity", pk)
    step = get_object_or_404(
        StageStep, pk=step_id, process=StageProcess.OPPORTUNITY, field=""
    )
    form = StepCheckForm(request.POST)
    if not form.is_valid():
        fail(request, gettext("The step did not change"), form_error_message(form))
        return back_to(opportunity, "#stages")
    try:
        stage_services.set_step_checked(
            opportunity=opportunity,
            step=step,
            checked=form.cleaned_data["checked"],
            by=request.user,
        )
    except ValidationError as error:
        fail(request, gettext("The step did not change"), error_message(error))
    else:
        done = (
            gettext("“%(step)s” marked done.")
            if form.cleaned_data["checked"]
            else gettext("“%(step)s” marked not done.")
        )
        messages.success(request, done % {"step": step.display_name})
    return back_to(opportunity, "#stages")
