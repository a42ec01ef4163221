"""Consent on the record and the double opt-in link: a user records a person's
consent (given or withdrawn, by phone, email or in person) from the consent panel
of a lead or contact page (a record outside the user's scope is a 404); the
public confirmation link a capture form's visitor follows (no login)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from leads.forms.consent import RecordConsentForm
from leads.models import ConsentStatus
from leads.selectors.consent import consent_history as read_history
from leads.services import consent as services
from leads.views.common import back_to, form_panel, record_or_404

PERSON_TYPES = ("lead", "contact")
# The page a refused link shows, by the refusal's code.
REFUSAL_STATUS = {"invalid": 404, "expired": 410, "superseded": 409}


def _person_or_404(request, record_type, pk):
    if record_type not in PERSON_TYPES:
        raise Http404("Consent belongs to leads and contacts.")
    return record_or_404(request, record_type, pk)


def _record_form_panel(request, record_type, person, form):
    return form_panel(
        request,
        person,
        title=_("Record consent"),
        template="leads/consent/record_form.html",
        context={
            "form": form,
            "action": reverse("leads:consent-record", args=[record_type, person.pk]),
        },
    )


@require_http_methods(["GET", "POST"])
def record_consent(request, record_type, pk):
    """GET: the form alone (the consent panel loads it when "Record consent"
    opens; without JavaScript a page of its own). POST: records the consent."""
    person = _person_or_404(request, record_type, pk)
    if request.method == "GET":
        return _record_form_panel(request, record_type, person, RecordConsentForm())
    form = RecordConsentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_consent_by_user(
                person=person,
                purpose=data["purpose"],
                status=data["status"],
                method=data["method"],
                note=data["note"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            text = (
                _("Consent to “%(purpose)s” recorded as given.")
                if data["status"] == ConsentStatus.GIVEN
                else _("Consent to “%(purpose)s” recorded as withdrawn.")
            )
            messages.success(request, text % {"purpose": data["purpose"]})
            return back_to(person, "#consent")
    response = _record_form_panel(request, record_type, person, form)
    response.status_code = 400
    return response


@require_GET
def consent_history(request, record_type, pk):
    """The person's consent log, newest first (loaded when "Consent history"
    opens on the record page; without JavaScript a page of its own)."""
    person = _person_or_404(request, record_type, pk)
    return form_panel(
        request,
        person,
        title=_("Consent history"),
        template="leads/consent/history.html",
        context={"events": read_history(person=person)},
    )


@login_not_required
@require_GET
def confirm_consent(request, token):
    """The double opt-in link: confirms the consents it names (idempotent)."""
    try:
        confirmation = services.confirm_consent(token=token)
    except services.ConsentLinkRefused as error:
        return render(
            request,
            "leads/consent/confirm.html",
            {"refusal": " ".join(error.messages), "code": error.code},
            status=REFUSAL_STATUS.get(error.code, 400),
        )
    return render(request, "leads/consent/confirm.html", {"confirmation": confirmation})
