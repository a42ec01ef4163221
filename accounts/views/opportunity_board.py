"""The opportunity board: open opportunities in one column per sales stage, with
Won and Lost as drop zones that open the outcome pages. Moves between stages go
through the stage service (the state machine's advance/step back, with the card's
version), like the stage bar; static/js/board.js drives the page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from accounts import selectors
from accounts.filters import OpportunityFilter
from accounts.forms import OpportunityMoveForm
from accounts.models import OpportunityState, SalesStage
from accounts.presenters import opportunity_rows
from accounts.services.stages import move_opportunity_stage
from accounts.views.common import record_or_404
from leadsite.core.boards import COUNT_CAP, board_columns
from leadsite.core.errors import error_message
from leadsite.core.filter_chips import filter_chips
from leadsite.core.http import safe_next_url
from leadsite.core.versioning import EditConflict

STALE_MESSAGE = _(
    "This opportunity changed while you were looking at it. Here is its current state."
)
OUTCOMES = {"won": "accounts:opportunity-win", "lost": "accounts:opportunity-lose"}


def _filters(request):
    """The list's filters, always on the open opportunities."""
    params = request.GET.copy()
    params["state"] = str(OpportunityState.OPEN.value)
    params.pop("sales_stage", None)
    return params


def opportunity_board(request):
    params = _filters(request)
    queryset = selectors.list_opportunities(user=request.user, filters=params)
    columns = board_columns(
        queryset,
        field="sales_stage",
        choices=SalesStage.choices,
        # A row's columns, and what a card adds: its version and age.
        only=[*selectors.OPPORTUNITY_ROW_FIELDS, "version", "created_at"],
    )
    form = OpportunityFilter(params, user=request.user).form
    form.is_valid()
    for name in ("state", "sales_stage"):
        form.fields.pop(name, None)
    entries = [
        {
            "column": column,
            "cards": list(zip(column.rows, opportunity_rows(column.rows), strict=True)),
        }
        for column in columns
    ]
    return render(
        request,
        "accounts/opportunity_board.html",
        {
            "columns": entries,
            "filter_form": form,
            "chips": filter_chips(form, request.GET),
            "count_cap": COUNT_CAP,
            "choices": OpportunityMoveForm.base_fields["to"].choices,
        },
    )


def _answer(request, opportunity, *, ok, message, status=200):
    if request.headers.get("Accept") == "application/json":
        try:
            fresh = selectors.get_opportunity(user=request.user, pk=opportunity.pk)
        except opportunity.DoesNotExist:
            fresh = None
        is_open = bool(fresh and fresh.is_open)
        return JsonResponse(
            {
                "ok": ok,
                "message": message,
                "column": str(fresh.sales_stage) if is_open else None,
                "closed": not is_open,
                "version": fresh.version if fresh else None,
            },
            status=status,
        )
    (messages.success if ok else messages.warning)(request, message)
    return redirect(
        safe_next_url(request, request.POST.get("next")) or "accounts:opportunity-board"
    )


@require_POST
def opportunity_board_move(request, pk):
    """A card moved to another stage (move_opportunity_stage with the card's
    version); Won and Lost go to the opportunity's own outcome page."""
    opportunity = record_or_404(selectors.get_opportunity, user=request.user, pk=pk)
    form = OpportunityMoveForm(request.POST)
    if not form.is_valid():
        message = error_message(ValidationError(form.errors))
        return _answer(request, opportunity, ok=False, message=message, status=400)
    to, version = form.cleaned_data["to"], form.cleaned_data["version"]
    if to in OUTCOMES:
        return redirect(OUTCOMES[to], pk=opportunity.pk)
    try:
        move_opportunity_stage(
            opportunity=opportunity,
            stage=int(to),
            by=request.user,
            expected_version=version,
        )
    except EditConflict:
        return _answer(
            request, opportunity, ok=False, message=str(STALE_MESSAGE), status=409
        )
    except (ValidationError, TransitionNotAllowed) as error:
        return _answer(
            request, opportunity, ok=False, message=error_message(error), status=409
        )
    label = SalesStage(int(to)).label
    return _answer(
        request,
        opportunity,
        ok=True,
        message=gettext("Moved to %(stage)s.") % {"stage": label},
    )
