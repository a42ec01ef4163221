"""Pinning a lead's score by hand, and unpinning it: POST-only writes with
post/redirect/get from the lead page's score panel. Whoever may work the lead may
pin it (the scope gate: 404 outside it); a closed lead is read-only."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from leads.exceptions import TransitionRefused, closed_message
from leads.forms.scoring import PinScoreForm, UnpinScoreForm
from leads.selectors.scoring import score_of
from leads.services.scoring import pin_score, unpin_score
from leads.views.common import form_error_message, form_panel, lead_or_404
from leadsite.core.errors import error_message
from leadsite.core.versioning import EditConflict

PIN_CONFLICT = gettext_lazy(
    "Someone changed this lead while you were pinning its score, so the score may "
    "have moved. Your input is kept: check the lead, then pin again."
)
UNPIN_CONFLICT = gettext_lazy(
    "Someone changed this lead while you were looking at it, so the score was not "
    "unpinned. Here is its current state."
)


def _pin_page(request, lead, form):
    return form_panel(
        request,
        lead,
        title=gettext("Pin the score"),
        template="leads/partials/lead_score_pin.html",
        context={"form": form, "action": request.path},
    )


@require_http_methods(["GET", "POST"])
def pin_lead_score(request, pk):
    lead = lead_or_404(request, pk)
    if not lead.is_editable:
        not_pinned = gettext("The score was not pinned.")
        messages.warning(request, f"{not_pinned} {closed_message(lead)}")
        return redirect(lead)
    if request.method == "GET":
        # Loaded when the lead page's "Pin a score" opens: it carries the version
        # of the lead that page showed (?version=), so a change made since is a
        # conflict when the pin is posted.
        seen = request.GET.get("version", "")
        initial = {"version": seen} if seen.isdigit() else {}
        form = PinScoreForm(lead=lead, initial=initial, auto_id="id_pin_%s")
        return _pin_page(request, lead, form)
    form = PinScoreForm(request.POST, lead=lead)
    if not form.is_valid():
        return _pin_page(request, lead, form)
    data = form.cleaned_data
    try:
        pin_score(
            lead=lead,
            by=request.user,
            score=data["pinned_score"],
            reason=data["pin_reason"],
            expected_version=data["version"],
        )
    except EditConflict as conflict:
        fresh = request.POST.copy()
        fresh["version"] = str(conflict.current.version)
        form = PinScoreForm(fresh, lead=lead)
        form.is_valid()
        form.add_error(None, PIN_CONFLICT)
        return _pin_page(request, lead, form)
    except TransitionRefused as error:
        # Closed (or gone) since the page was read.
        not_pinned = gettext("The score was not pinned.")
        messages.warning(request, f"{not_pinned} {error_message(error)}")
        return redirect(lead)
    except ValidationError as error:
        form.add_error(None, error)
        return _pin_page(request, lead, form)
    messages.success(
        request,
        gettext("Score pinned at %(score)s: %(reason)s")
        % {"score": data["pinned_score"], "reason": data["pin_reason"]},
    )
    return redirect(lead)


@require_POST
def unpin_lead_score(request, pk):
    lead = lead_or_404(request, pk)
    if not lead.is_editable:
        not_unpinned = gettext("The score was not unpinned.")
        messages.warning(request, f"{not_unpinned} {closed_message(lead)}")
        return redirect(lead)
    row = score_of(lead)
    if row is None or not row.pinned:
        messages.info(request, gettext("The score is not pinned."))
        return redirect(lead)
    form = UnpinScoreForm(request.POST, lead=lead)
    if not form.is_valid():
        messages.error(request, form_error_message(form))
        return redirect(lead)
    try:
        unpin_score(
            lead=lead, by=request.user, expected_version=form.cleaned_data["version"]
        )
    except EditConflict:
        messages.warning(request, UNPIN_CONFLICT)
    except ValidationError as error:
        not_unpinned = gettext("The score was not unpinned.")
        messages.warning(request, f"{not_unpinned} {error_message(error)}")
    else:
        messages.success(
            request, gettext("Pin removed: the score is the model's again.")
        )
    return redirect(lead)
