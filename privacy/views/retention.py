"""The retention page (the policy, a dry run, "Run now" and the run log) and the
export log page. Administrators only; anyone else gets a 404, as for every page
outside a user's role."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import is_administrator
from leadsite.core.pagination import paginate
from privacy import tasks
from privacy.forms.retention import ExportLogFilterForm, RetentionPolicyForm
from privacy.models import RetentionKind, RunTrigger
from privacy.selectors import retention as reading
from privacy.services import retention as services


def _administrators_only(request) -> None:
    if not is_administrator(request.user):
        raise Http404("No retention settings here for you.")


def _count_rows(counts: dict) -> list[dict]:
    """Per kind, in the page's order: its label and numbers (absent: not applied)."""
    return [
        {"kind": kind.label, **counts[kind.value]}
        for kind in RetentionKind
        if kind.value in counts
    ]


def _page(request, form, *, preview=None):
    runs = list(reading.list_runs()[: reading.RECENT_RUNS])
    return render(
        request,
        "privacy/retention/settings.html",
        {
            "form": form,
            "policy": form.instance,
            "preview": None if preview is None else _count_rows(preview),
            "runs": [(run, _count_rows(run.counts)) for run in runs],
        },
    )


@require_http_methods(["GET", "POST"])
def retention_settings(request):
    _administrators_only(request)
    form = RetentionPolicyForm(request.POST or None, instance=reading.get_policy())
    if request.method == "POST" and form.is_valid():
        try:
            services.update_retention_policy(by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                gettext("Retention saved. The nightly run applies it from now on."),
            )
            return redirect("retention:settings")
    return _page(request, form)


@require_POST
def retention_dry_run(request):
    """Counts what a run would do now with the saved policy; changes nothing (so
    the answer is the page itself, not a redirect)."""
    _administrators_only(request)
    form = RetentionPolicyForm(instance=reading.get_policy())
    return _page(request, form, preview=reading.preview_retention())


@require_POST
def retention_run(request):
    _administrators_only(request)
    tasks.apply_retention.enqueue(request.user.pk, RunTrigger.PAGE)
    messages.success(
        request,
        gettext(
            "The retention run has started. It is listed below with its counts "
            "when it has finished."
        ),
    )
    return redirect("retention:settings")


@require_GET
def export_log(request):
    _administrators_only(request)
    form = ExportLogFilterForm(request.GET or None)
    filters = {}
    if form.is_bound:
        form.is_valid()
        filters = {
            name: value
            for name, value in form.cleaned_data.items()
            if value and name not in form.errors
        }
    page = paginate(
        request, reading.list_export_logs(**filters), per_page=reading.EXPORT_LOG_PAGE
    )
    return render(
        request,
        "privacy/retention/export_log.html",
        {
            "form": form,
            "page": page,
            "api_rows": settings.LEADSITE_EXPORT_LOG_API_ROWS,
        },
    )
