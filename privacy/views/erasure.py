"""Erasure: the confirmation (what goes, what stays, the holds that block it),
the erasure itself (POST), its log entry with the files' check, and the log."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadsite.core.pagination import paginate
from privacy.exceptions import ErasureBlocked
from privacy.forms.people import EraseForm, RecordsForm
from privacy.models import Erasure, ErasureStatus
from privacy.selectors import logs, people
from privacy.services.erasure import blocking_holds, erase_person, remove_erasure_files
from privacy.views.common import privacy_only


def _company_is_person(subject) -> bool:
    """A guess for the checkbox: a company name that holds the person's name."""
    for lead in subject.leads:
        company = (lead.company_name or "").lower()
        names = [
            n.lower() for n in (lead.first_name, lead.last_name) if len(n or "") > 1
        ]
        if company and any(name in company for name in names):
            return True
    return False


def _confirm(request, form, subject, *, status=200):
    return render(
        request,
        "privacy/erase_confirm.html",
        {
            "form": form,
            "subject": subject,
            "holds": list(blocking_holds(subject)) if subject else [],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def erase(request):
    privacy_only(request)
    if request.method == "GET":
        chosen = RecordsForm(request.GET)
        if not chosen.is_valid():
            return _confirm(request, chosen, None, status=400)
        subject = people.subject_for(
            lead_ids=chosen.lead_ids, contact_ids=chosen.contact_ids
        )
        form = EraseForm(
            initial={
                "lead": subject.leads,
                "contact": subject.contacts,
                "query": chosen.cleaned_data["query"],
                "company_is_person": _company_is_person(subject),
            }
        )
        return _confirm(request, form, subject)
    form = EraseForm(request.POST)
    if not form.is_valid():
        return _confirm(request, form, None, status=400)
    subject = people.subject_for(lead_ids=form.lead_ids, contact_ids=form.contact_ids)
    try:
        erasure = erase_person(
            subject=subject,
            by=request.user,
            reference=form.cleaned_data["reference"],
            company_is_person=form.cleaned_data["company_is_person"],
        )
    except ErasureBlocked as error:
        form.add_error(None, error)
        return _confirm(request, form, subject, status=409)
    messages.success(
        request, gettext("Erased. The log shows the rows changed in each place.")
    )
    return redirect(erasure)


@require_GET
def erasure_detail(request, pk):
    privacy_only(request)
    try:
        erasure = logs.get_erasure(pk)
    except Erasure.DoesNotExist:
        raise Http404("No such erasure.") from None
    return render(
        request,
        "privacy/erasure_detail.html",
        {"erasure": erasure, "places": logs.place_rows(erasure)},
    )


@require_POST
def erasure_files(request, pk):
    """Remove and check the erasure's files again (after a failure)."""
    privacy_only(request)
    try:
        erasure = logs.get_erasure(pk)
    except Erasure.DoesNotExist:
        raise Http404("No such erasure.") from None
    erasure = remove_erasure_files(erasure_id=erasure.pk)
    if erasure.status == ErasureStatus.DONE:
        messages.success(request, gettext("Checked again: every file is gone."))
    else:
        messages.error(request, gettext("Checked again: some files are still there."))
    return redirect(erasure)


@require_GET
def erasure_list(request):
    privacy_only(request)
    page = paginate(request, logs.list_erasures())
    return render(
        request,
        "privacy/erasure_list.html",
        {"page": page, "erasures": page.object_list},
    )
