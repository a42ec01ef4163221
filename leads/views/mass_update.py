"""Mass update pages: the form (for the leads selected on the list, or every lead
matching its filter), the job's progress and report, its undo, the recent jobs."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from leads import tasks
from leads.exceptions import TransitionRefused
from leads.forms.mass_update import MassUpdateForm
from leads.models import MassUpdate
from leads.selectors import mass_update as selectors
from leads.services import mass_update as services
from leads.services import mass_update_undo as undo_services
from leadsite.core.errors import error_message
from leadsite.core.http import safe_next_url


def _require_editor(request):
    if not selectors.may_mass_update(request.user):
        raise Http404("You cannot change leads.")


def _job_or_404(request, pk) -> MassUpdate:
    try:
        return selectors.get_mass_update(pk=pk, user=request.user)
    except MassUpdate.DoesNotExist:
        raise Http404("No such mass update.") from None


def _list_query(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _picked_on_list(request) -> list[str]:
    """The list's selected rows as "id:version" (the page's version of each row)."""
    versions = {}
    for text in request.POST.getlist("versions"):
        pk, _, version = text.partition(":")
        versions[pk] = version
    return [
        f"{pk}:{versions[pk]}" for pk in request.POST.getlist("ids") if pk in versions
    ]


def _matching_count(request, query):
    queryset = selectors.matching_leads(user=request.user, query=query)
    if queryset is None:
        return None
    return selectors.count_up_to(queryset, services.max_rows())


def mass_update(request):
    """GET: every lead matching the list's filter (the query string). POST from the
    list's bulk bar: the selected rows. POST with step=apply: run it."""
    _require_editor(request)
    limit = services.max_rows()
    if request.method != "POST":
        query = _list_query(request)
        form = MassUpdateForm(
            initial={"all_matching": True, "query": query}, user=request.user
        )
    elif request.POST.get("step") != "apply":
        picked = _picked_on_list(request)
        if not picked:
            messages.error(request, gettext("Select at least one lead."))
            return redirect("leads:list")
        next_url = safe_next_url(request, request.POST.get("next")) or ""
        form = MassUpdateForm(
            initial={"selected": picked, "next": next_url}, user=request.user
        )
    else:
        form = MassUpdateForm(request.POST, user=request.user)
        if form.is_valid():
            started = _start(request, form, limit)
            if started is not None:
                return started
    data = form.data if form.is_bound else form.initial
    all_matching = str(data.get("all_matching")) in ("True", "true", "on", "1")
    query = data.get("query") or ""
    count = _matching_count(request, query) if all_matching else None
    return render(
        request,
        "leads/mass_update_form.html",
        {
            "form": form,
            "all_matching": all_matching,
            "count": count,
            "limit": limit,
            "over_limit": count is not None and count > limit,
            "selected_count": len(form["selected"].value() or []),
            "query": query,
            "back_url": _back_url(form, query, all_matching),
        },
    )


def _back_url(form, query, all_matching) -> str:
    if all_matching:
        return f"{reverse('leads:list')}?{query}"
    return form["next"].value() or reverse("leads:list")


def _start(request, form, limit):
    """Create the job and run it (small) or queue it; None with the refusal on the
    form when it may not start."""
    data = form.cleaned_data
    if data["all_matching"]:
        queryset = selectors.matching_leads(user=request.user, query=data["query"])
        if queryset is None:
            form.add_error(
                None, gettext("The list's filter is not valid; start again.")
            )
            return None
        selection, query = selectors.selection_of(queryset), data["query"]
    else:
        selection, query = data["selected"], ""
    try:
        job = services.create_mass_update(
            by=request.user, changes=form.changes(), selection=selection, query=query
        )
    except ValidationError as error:
        form.add_error(None, error_message(error))
        return None
    tasks.start_mass_update_step(job, by=request.user)
    return redirect(job)


@require_GET
def mass_update_detail(request, pk):
    job = _job_or_404(request, pk)
    return render(
        request, "leads/mass_update_detail.html", selectors.progress_context(job)
    )


@require_GET
def mass_update_progress(request, pk):
    job = _job_or_404(request, pk)
    return render(
        request, "leads/mass_update_panel.html", selectors.progress_context(job)
    )


@require_POST
def mass_update_undo(request, pk):
    job = _job_or_404(request, pk)
    _require_editor(request)
    try:
        job = undo_services.undo_mass_update(mass_update=job, by=request.user)
    except TransitionRefused as error:
        messages.error(request, error_message(error))
    else:
        tasks.start_mass_update_step(job, by=request.user)
    return HttpResponseRedirect(job.get_absolute_url())


@require_GET
def mass_update_list(request):
    return render(
        request,
        "leads/mass_update_list.html",
        {"jobs": selectors.list_mass_updates(user=request.user)},
    )
