from csp.constants import NONE
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from accounts.permissions import is_administrator, is_manager
from leads.forms.capture import CaptureFormEditForm, CaptureSubmissionForm
from leads.models import CaptureForm
from leads.models.capture import redirect_allowed
from leads.selectors import capture as selectors
from leads.services import capture as services
from leads.services import consent as consent_services
from leads.submissions import capture_rate_limited
from leads.tasks import enqueue_consent_confirmation


def _frameable(response):
    """Only the origins in LEADSITE_CAPTURE_FRAME_ANCESTORS may frame the form."""
    ancestors = list(settings.LEADSITE_CAPTURE_FRAME_ANCESTORS)
    response._csp_replace = {"frame-ancestors": ancestors or [NONE]}
    if ancestors:
        response.xframe_options_exempt = True
    return response


def _thank_you(request, capture_form):
    if capture_form.redirect_url and redirect_allowed(capture_form.redirect_url):
        return redirect(capture_form.redirect_url)
    return redirect(reverse("capture-thanks", args=[capture_form.token]))


@login_not_required
def capture(request, token):
    try:
        capture_form = selectors.get_active_capture_form(token=token)
    except CaptureForm.DoesNotExist:
        raise Http404("No such form.") from None
    form = CaptureSubmissionForm(request.POST or None, capture_form=capture_form)
    if request.method == "POST":
        if capture_rate_limited(request, token) or form.is_bot():
            return _frameable(
                HttpResponse(
                    gettext(
                        "Too many submissions or an automated submission: your details "
                        "were not sent. Please wait a few minutes and try again."
                    ),
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
            )
        if form.is_valid():
            try:
                _, pending = consent_services.capture_lead_with_consent(
                    form=capture_form,
                    data=form.lead_data(),
                    consents=form.ticked_consents(),
                )
            except ValidationError as error:
                for name, errors in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                if pending:  # double opt-in: the confirmation link by email
                    enqueue_consent_confirmation(
                        pending, form.cleaned_data["email"], request
                    )
                return _frameable(_thank_you(request, capture_form))
    return _frameable(
        render(
            request, "capture/form.html", {"capture_form": capture_form, "form": form}
        )
    )


@login_not_required
def capture_thanks(request, token):
    try:
        capture_form = selectors.get_active_capture_form(token=token)
    except CaptureForm.DoesNotExist:
        raise Http404("No such form.") from None
    return _frameable(
        render(request, "capture/thanks.html", {"capture_form": capture_form})
    )


def _require_form_manager(request):
    if not (is_manager(request.user) or is_administrator(request.user)):
        raise Http404("Only sales managers and administrators manage capture forms.")


@require_GET
def capture_form_list(request):
    _require_form_manager(request)
    forms = selectors.list_capture_forms(user=request.user)
    return render(request, "leads/capture_form_list.html", {"capture_forms": forms})


def capture_form_edit(request, pk=None):
    instance = None
    if pk is not None:
        try:
            instance = selectors.get_capture_form(pk=pk, user=request.user)
        except CaptureForm.DoesNotExist:
            raise Http404("No such capture form.") from None
    _require_form_manager(request)
    form = CaptureFormEditForm(
        request.POST or None, instance=instance, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = services.save_capture_form(
                    by=request.user, instance=instance, data=form.model_data()
                )
                consent_services.set_capture_form_purposes(
                    capture_form=saved, by=request.user, choices=form.consent_choices()
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                gettext("Capture form “%(name)s” saved.") % {"name": saved.name},
            )
            return redirect("leads:capture-form-edit", pk=saved.pk)
    public_url = (
        request.build_absolute_uri(instance.get_absolute_url()) if instance else ""
    )
    return render(
        request,
        "leads/capture_form_edit.html",
        {"form": form, "capture_form": instance, "public_url": public_url},
    )
