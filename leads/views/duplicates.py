"""Duplicate rules: the list (with the scans), the editor (save as a draft or
publish), delete, and the scan's progress and groups with their merge links.
Administrators change every rule, managers those of their unit and below; the
others get a 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from leads import tasks
from leads.forms.duplicates import DuplicateRuleForm
from leads.models import DuplicateRule, DuplicateScan
from leads.permissions import can_manage_routing
from leads.selectors import duplicate_rules as selectors
from leads.selectors import duplicate_scan as scan_selectors
from leads.services import duplicates as services
from leadsite.core.pagination import paginate
from leadsite.core.versioning import EditConflict

GROUPS_PAGE = 25


def _may_manage(request):
    if not can_manage_routing(request.user):
        raise Http404("No duplicate rules here for you.")


def duplicate_rules(request):
    _may_manage(request)
    return render(
        request,
        "leads/duplicate_rules.html",
        {
            "rules": selectors.list_duplicate_rules(user=request.user),
            "scans": scan_selectors.latest_scans(),
            "trigram": selectors.trigram_available(),
            "fuzzy_note": gettext(selectors.FUZZY_SKIPPED),
        },
    )


def _rule_or_404(request, pk):
    try:
        return selectors.get_editable_rule(pk=pk, user=request.user)
    except DuplicateRule.DoesNotExist:
        raise Http404("No duplicate rule here that you may change.") from None


def duplicate_rule_create(request):
    _may_manage(request)
    return _rule_form(request, rule=None)


def duplicate_rule_edit(request, pk):
    _may_manage(request)
    return _rule_form(request, rule=_rule_or_404(request, pk))


def _rule_form(request, *, rule):
    form = DuplicateRuleForm(request.POST or None, user=request.user, rule=rule)
    if request.method == "POST" and form.is_valid():
        publish = request.POST.get("publish") == "1"
        try:
            saved = services.save_duplicate_rule(
                by=request.user,
                rule=rule,
                conditions=form.cleaned_data["conditions"],
                expected_version=form.cleaned_data["version"] if rule else None,
                is_published=publish,
                **form.rule_fields(),
            )
        except EditConflict:
            form.add_error(
                None,
                gettext(
                    "Someone changed this rule since you opened it: reload the page "
                    "and make your change again."
                ),
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error)
        else:
            done = (
                gettext("Duplicate rule “%(rule)s” published.")
                if saved.is_published
                else gettext("Duplicate rule “%(rule)s” saved as a draft.")
            )
            messages.success(request, done % {"rule": saved})
            return redirect("leads:duplicate-rules")
    return render(
        request,
        "leads/duplicate_rule_form.html",
        {
            "form": form,
            "rule": rule,
            "trigram": selectors.trigram_available(),
            "fuzzy_note": gettext(selectors.FUZZY_SKIPPED),
        },
    )


@require_POST
def duplicate_rule_delete(request, pk):
    _may_manage(request)
    rule = _rule_or_404(request, pk)
    services.delete_duplicate_rule(rule=rule, by=request.user)
    messages.success(
        request, gettext("Duplicate rule “%(rule)s” deleted.") % {"rule": rule}
    )
    return redirect("leads:duplicate-rules")


@require_POST
def duplicate_scan_start(request):
    _may_manage(request)
    scan = services.start_duplicate_scan(by=request.user)
    transaction.on_commit(lambda: tasks.run_duplicate_scan.enqueue(scan.pk))
    messages.info(request, gettext("Scan started: the groups appear here as it goes."))
    return redirect(scan)


def duplicate_scan(request, pk):
    _may_manage(request)
    scan = get_object_or_404(DuplicateScan.objects.select_related("created_by"), pk=pk)
    page = paginate(
        request,
        scan.groups.only("rule_name", "record_ids", "size"),
        per_page=GROUPS_PAGE,
    )
    scan_selectors.scan_groups(scan=scan, user=request.user, page=page)
    template = (
        "leads/partials/duplicate_scan_progress.html"
        if request.headers.get("HX-Request")
        else "leads/duplicate_scan.html"
    )
    return render(request, template, {"scan": scan, "page": page})
