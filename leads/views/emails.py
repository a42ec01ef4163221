"""Email from the record: compose (a template picked, the filled preview, then
send), "Try again" on a failed email, and the sender's own signature. Sending
only queues the email; the worker sends it (leads.tasks.send_email)."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.services.profile import update_email_signature
from leads.forms.emails import ComposeEmailForm, SignatureForm, TemplateChoiceForm
from leads.selectors import emails as selectors
from leads.selectors.emails import PLACEHOLDERS
from leads.selectors.timeline import record_type_of
from leads.services import emails as services
from leads.services.consent import ConsentRefused
from leads.tasks import enqueue_send
from leads.views.common import back_to, record_or_404
from leadsite.core.errors import error_message
from leadsite.core.http import safe_next_url


def _initial(request, picker) -> dict:
    """Subject and body of the template picked on the page (?template=), if any."""
    if not picker.is_valid() or not picker.cleaned_data.get("template"):
        return {}
    template = picker.templates.get(picker.cleaned_data["template"])
    if template is None:
        return {}
    return {
        "template": template.pk,
        "subject": template.subject,
        "body": template.body,
        "purpose": template.purpose_id,
    }


def _page(request, record, *, form, picker, draft=None, status=200):
    record_type = record_type_of(record)
    context = {
        "record": record,
        "record_type": record_type,
        "recipient": selectors.email_recipient(record),
        "form": form,
        "picker": picker,
        "draft": draft,
        "placeholders": PLACEHOLDERS,
        "action": reverse("leads:compose-email", args=[record_type, record.pk]),
    }
    return render(request, "leads/email_compose.html", context, status=status)


def _template_or_none(form):
    pk = form.cleaned_data.get("template")
    if not pk:
        return None
    try:
        return selectors.get_active_template(pk=pk)
    except ObjectDoesNotExist:
        return None


@require_http_methods(["GET", "POST"])
def compose_email(request, record_type, pk):
    """GET: the form (?template= fills it). POST action=preview: the message as it
    will go, placeholders filled; action=edit: back to the form; action=send: queue
    it and return to the record's timeline."""
    record = record_or_404(request, record_type, pk)
    picker = TemplateChoiceForm(request.GET or None)
    if request.method == "GET":
        form = ComposeEmailForm(initial=_initial(request, picker))
        return _page(request, record, form=form, picker=picker)
    form = ComposeEmailForm(request.POST)
    action = request.POST.get("action")
    if not form.is_valid() or action == "edit":
        return _page(request, record, form=form, picker=picker)
    if action != "send":
        draft = selectors.draft_email(
            record=record,
            sender=request.user,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
        )
        return _page(request, record, form=form, picker=picker, draft=draft)
    try:
        with transaction.atomic():
            email = services.queue_email(
                record=record,
                by=request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                template=_template_or_none(form),
                submission_token=form.cleaned_data["submission_token"],
                purpose=form.cleaned_data.get("purpose"),
            )
            enqueue_send(email.pk)
    except ValidationError as error:
        if isinstance(error, ConsentRefused) and "purpose" in form.fields:
            form.add_error("purpose", error.error_dict["purpose"])  # beside the field
        messages.error(
            request,
            gettext("The email was not sent — %(reason)s")
            % {"reason": error_message(error, form)},
        )
        return _page(request, record, form=form, picker=picker, status=400)
    messages.success(
        request,
        gettext("Email “%(subject)s” to %(address)s queued for sending.")
        % {"subject": email.subject, "address": email.to_address},
    )
    return back_to(record, "#timeline")


@require_POST
def retry_email(request, pk):
    try:
        email = selectors.get_email(pk=pk, user=request.user)
    except ObjectDoesNotExist:
        raise Http404("No such email.") from None
    try:
        with transaction.atomic():
            services.retry_email(email=email, by=request.user)
            enqueue_send(email.pk)
    except ValidationError as error:
        messages.error(request, error_message(error))
    else:
        messages.success(
            request,
            gettext("“%(subject)s” queued to be sent again.")
            % {"subject": email.subject},
        )
    next_url = safe_next_url(request, request.POST.get("next"))
    if next_url:
        return HttpResponseRedirect(next_url + "#timeline")
    return back_to(email.regarding, "#timeline")


@require_http_methods(["GET", "POST"])
def email_signature(request):
    initial = {"signature": request.user.email_signature}
    form = SignatureForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        update_email_signature(
            user=request.user,
            by=request.user,
            signature=form.cleaned_data["signature"],
        )
        messages.success(request, gettext("Your email signature is saved."))
        next_url = safe_next_url(request, request.POST.get("next"))
        return redirect(next_url or "leads:email-signature")
    next_url = safe_next_url(request, request.GET.get("next")) or ""
    return render(
        request, "leads/email_signature.html", {"form": form, "next": next_url}
    )
