"""The lead board: open leads in columns by status reason, moved by dragging a card
or with its "Move to…" menu (static/js/board.js); each move is a POST to
board_move, which calls the lifecycle services like the lead page's buttons."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from leads.filters import SAVED_VIEWS
from leads.forms.board import MOVE_CHOICES, QUALIFY, BoardMoveForm
from leads.models import LeadStatus
from leads.presenters.board import board_cards
from leads.selectors import board as selectors
from leads.selectors.leads import get_lead
from leads.services.board import CONTACTED, DISQUALIFIED, move_lead
from leads.views.common import (
    REFUSALS,
    STALE_MESSAGE,
    assignees,
    lead_or_404,
    reuse_choices,
)
from leadsite.core.errors import error_message
from leadsite.core.filter_chips import filter_chips
from leadsite.core.http import safe_next_url
from leadsite.core.versioning import EditConflict

WORK_LEADS = "leads.change_lead"
# The most cards a column shows without JavaScript ("Show more" reloads the page).
MAX_SHOWN = 500
DONE = {
    CONTACTED: _("Lead marked as contacted."),
    DISQUALIFIED: _("Lead disqualified."),
}


def _move_choices(status: int) -> list:
    """The move menu of a card in column `status` (a Contacted lead cannot be
    marked contacted again, nor go back to New)."""
    return [
        (value, label)
        for value, label in MOVE_CHOICES
        if not (value == CONTACTED and status != LeadStatus.NEW)
    ]


def _shown(request, status: int) -> int:
    try:
        shown = int(request.GET.get(f"show_{status}", selectors.COLUMN_SIZE))
    except ValueError:
        shown = selectors.COLUMN_SIZE
    return min(max(shown, selectors.COLUMN_SIZE), MAX_SHOWN)


def _query(request, *, without=()) -> str:
    params = request.GET.copy()
    for key in [*without, "offset"]:
        params.pop(key, None)
    return params.urlencode()


def lead_board(request):
    user = request.user
    leadfilter = selectors.board_filter(user=user, params=request.GET, request=request)
    queryset = leadfilter.qs
    can_move = user.has_perm(WORK_LEADS)
    columns = []
    for column in selectors.lead_board(queryset=queryset):
        shown = _shown(request, column.status)
        if shown > selectors.COLUMN_SIZE:
            column.leads, column.has_more = selectors.column_cards(
                queryset, status=column.status, limit=shown
            )
            column.next_offset = len(column.leads)
        columns.append(
            {
                "column": column,
                "cards": board_cards(column.leads),
                "choices": _move_choices(column.status) if can_move else [],
                "more_query": _query(request, without=[f"show_{column.status}"]),
            }
        )
    form = leadfilter.form
    reuse_choices(form, assignees(user))
    view = form.data.get("view")
    return render(
        request,
        "leads/board.html",
        {
            "columns": columns,
            "filter_fields": [form[name] for name in selectors.BOARD_FILTERS],
            "form": form,
            "chips": filter_chips(form, request.GET),
            "views": selectors.BOARD_VIEWS,
            "current_view": view,
            "view_label": dict(SAVED_VIEWS).get(view, ""),
            "can_move": can_move,
            "count_cap": selectors.BOARD_COUNT_CAP,
            "reasons": BoardMoveForm.base_fields["reason"].choices[1:],
            "query": _query(request),
        },
    )


@require_GET
def board_column(request, status):
    """More cards of one column ("Show more", loaded by htmx): the cards after
    `offset` and the next "Show more"; without htmx, the board showing more."""
    if status not in selectors.BOARD_COLUMNS:
        raise Http404("No such column.")
    try:
        offset = max(0, int(request.GET.get("offset", 0)))
    except ValueError:
        offset = 0
    if request.headers.get("HX-Request") != "true":
        query = _query(request, without=[f"show_{status}"])
        shown = offset + selectors.COLUMN_SIZE
        return redirect(f"{reverse('leads:board')}?{query}&show_{status}={shown}")
    leadfilter = selectors.board_filter(
        user=request.user, params=request.GET, request=request
    )
    leads, has_more = selectors.column_cards(
        leadfilter.qs, status=status, offset=offset
    )
    can_move = request.user.has_perm(WORK_LEADS)
    return render(
        request,
        "leads/partials/board_cards.html",
        {
            "cards": board_cards(leads),
            "choices": _move_choices(status) if can_move else [],
            "has_more": has_more,
            "status": status,
            "next_offset": offset + len(leads),
            "more_query": _query(request, without=[f"show_{status}"]),
        },
    )


def _answer(request, lead, *, ok: bool, message: str, status: int = 200):
    """JSON for board.js (the card's new place and version), or a message and the
    board again for a plain form post."""
    if request.headers.get("Accept") == "application/json":
        try:
            fresh = get_lead(pk=lead.pk, user=request.user)
        except lead.DoesNotExist:
            fresh = None
        is_open = bool(fresh and fresh.is_open)
        return JsonResponse(
            {
                "ok": ok,
                "message": message,
                # The column the card belongs in now; none once the lead is closed.
                "column": str(fresh.status) if is_open else None,
                "closed": not is_open,
                "version": fresh.version if fresh else None,
            },
            status=status,
        )
    (messages.success if ok else messages.warning)(request, message)
    return redirect(safe_next_url(request, request.POST.get("next")) or "leads:board")


@require_POST
def board_move(request, pk):
    """One card moved: to Contacted or Disqualified through move_lead with the
    card's version; Qualify (and Disqualify without a reason, from the menu without
    JavaScript) goes to that lead's own page for the step."""
    lead = lead_or_404(request, pk)
    form = BoardMoveForm(request.POST)
    if not form.is_valid():
        return _answer(
            request,
            lead,
            ok=False,
            message=error_message(ValidationError(form.errors)),
            status=400,
        )
    data = form.cleaned_data
    if data["to"] == QUALIFY:
        return redirect("leads:qualify", pk=lead.pk)
    if data["to"] == DISQUALIFIED and data["reason"] is None:
        return redirect("leads:disqualify", pk=lead.pk)
    try:
        move_lead(
            lead=lead,
            by=request.user,
            to=data["to"],
            expected_version=data["version"],
            reason=data["reason"],
            description=data["description"],
        )
    except EditConflict:
        return _answer(request, lead, ok=False, message=STALE_MESSAGE, status=409)
    except REFUSALS as error:
        text = " ".join(getattr(error, "messages", [])) or STALE_MESSAGE
        if not isinstance(error, ValidationError):
            text = STALE_MESSAGE
        return _answer(request, lead, ok=False, message=text, status=409)
    except ValidationError as error:
        return _answer(
            request, lead, ok=False, message=error_message(error), status=400
        )
    return _answer(request, lead, ok=True, message=DONE[data["to"]])
