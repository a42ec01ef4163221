"""Legal holds: set one on a lead or contact (with its reason), release one."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from privacy.forms.people import HoldForm
from privacy.models import LegalHold
from privacy.selectors import holds as hold_reads
from privacy.services.holds import release_legal_hold, set_legal_hold
from privacy.views.common import privacy_only, record_or_404


def _privacy_url(record) -> str:
    kind = "lead" if record._meta.model_name == "lead" else "contact"
    return reverse(f"privacy:{kind}", args=[record.pk])


def _named_record(data):
    if data.get("lead"):
        return record_or_404("lead", data["lead"])
    if data.get("contact"):
        return record_or_404("contact", data["contact"])
    raise Http404("Name a lead or a contact.")


@require_http_methods(["GET", "POST"])
def hold_create(request):
    privacy_only(request)
    record = _named_record(request.POST if request.method == "POST" else request.GET)
    form = HoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            set_legal_hold(
                record=record, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            form.add_error("reason" if hasattr(error, "error_dict") else None, error)
        else:
            messages.success(
                request,
                gettext(
                    "%(record)s is under a legal hold: it cannot be erased until released."
                )
                % {"record": record},
            )
            return redirect(_privacy_url(record))
    return render(
        request,
        "privacy/hold_form.html",
        {
            "form": form,
            "record": record,
            "kind": record._meta.model_name,
            "privacy_url": _privacy_url(record),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
def hold_release(request, pk):
    privacy_only(request)
    try:
        hold = hold_reads.get_hold(pk)
    except (LegalHold.DoesNotExist, ValueError):
        raise Http404("No such legal hold.") from None
    try:
        hold = release_legal_hold(hold=hold, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, gettext("The legal hold was released."))
    return redirect(_privacy_url(hold.lead or hold.contact))
