"""Views that add to a record's timeline (notes, activities, attachments) and act
on its items: POST-only writes with post/redirect/get, the add forms on GET.
Form errors come back as an error message naming the field, so every record
page (lead, account, contact, opportunity) shows them."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import TransitionNotAllowed

from leads.attachments import attachment_response
from leads.forms.timeline import ActivityForm, AttachmentForm, NoteForm
from leads.selectors import timeline as selectors
from leads.services import timeline as timeline_services
from leads.views.common import (
    back_to,
    fail,
    form_error_message,
    form_panel,
    record_or_404,
)
from leadsite.core.errors import error_message
from leadsite.core.http import safe_next_url


def _timeline_panel(request, record, record_type, kind, title, form_class):
    form = form_class(auto_id=f"id_{kind}_{record_type}_%s")
    return form_panel(
        request,
        record,
        title=title,
        template=f"partials/panels/{kind}.html",
        context={"form": form, "action": request.path},
    )


@require_http_methods(["GET", "POST"])
def add_note(request, record_type, pk):
    record = record_or_404(request, record_type, pk)
    if request.method == "GET":
        return _timeline_panel(
            request, record, record_type, "note", gettext("Add note"), NoteForm
        )
    form = NoteForm(request.POST)
    if not form.is_valid():
        fail(request, gettext("The note was not added"), form_error_message(form))
        return back_to(record, "#timeline")
    try:
        timeline_services.add_note(record=record, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        fail(request, gettext("The note was not added"), error_message(error, form))
    else:
        messages.success(request, gettext("Note added."))
    return back_to(record, "#timeline")


@require_http_methods(["GET", "POST"])
def add_activity(request, record_type, pk):
    record = record_or_404(request, record_type, pk)
    if request.method == "GET":
        return _timeline_panel(
            request,
            record,
            record_type,
            "activity",
            gettext("Log activity"),
            ActivityForm,
        )
    form = ActivityForm(request.POST)
    if not form.is_valid():
        fail(request, gettext("The activity was not logged"), form_error_message(form))
        return back_to(record, "#timeline")
    try:
        activity = timeline_services.log_activity(
            record=record, by=request.user, **form.cleaned_data
        )
    except (ValidationError, TransitionNotAllowed) as error:
        detail = (
            error_message(error, form)
            if isinstance(error, ValidationError)
            else str(error)
        )
        fail(request, gettext("The activity was not logged"), detail)
    else:
        messages.success(
            request,
            gettext("%(kind)s logged.") % {"kind": activity.get_kind_display()},
        )
    return back_to(record, "#timeline")


@require_http_methods(["GET", "POST"])
def add_attachment(request, record_type, pk):
    record = record_or_404(request, record_type, pk)
    if request.method == "GET":
        return _timeline_panel(
            request,
            record,
            record_type,
            "attachment",
            gettext("Upload file"),
            AttachmentForm,
        )
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        fail(request, gettext("The file was not uploaded"), form_error_message(form))
        return back_to(record, "#timeline")
    try:
        attachment = timeline_services.add_attachment(
            record=record,
            by=request.user,
            upload=form.cleaned_data["file"],
            submission_token=form.cleaned_data["submission_token"],
        )
    except ValidationError as error:
        fail(request, gettext("The file was not uploaded"), error_message(error, form))
    else:
        messages.success(
            request,
            gettext("“%(name)s” uploaded.") % {"name": attachment.original_name},
        )
    return back_to(record, "#timeline")


def _activity_transition(request, pk, service, done: str, too_late: str):
    """`done` and `too_late`: the messages of the step taken or refused because the
    activity is no longer open (with `%(subject)s`)."""
    try:
        activity = selectors.get_activity(pk=pk, user=request.user)
    except ObjectDoesNotExist:
        raise Http404("No such activity.") from None
    try:
        service(activity=activity, by=request.user)
    except TransitionNotAllowed:
        messages.error(request, too_late % {"subject": activity.subject})
    except ValidationError as error:
        messages.error(request, error_message(error))
    else:
        messages.success(request, done % {"subject": activity.subject})
    next_url = safe_next_url(request, request.POST.get("next"))
    if next_url:
        return HttpResponseRedirect(next_url + "#timeline")
    return back_to(activity.regarding, "#timeline")


@require_POST
def complete_activity(request, pk):
    return _activity_transition(
        request,
        pk,
        timeline_services.complete_activity,
        gettext("“%(subject)s” completed."),
        gettext("“%(subject)s” is no longer open; it was not completed."),
    )


@require_POST
def cancel_activity(request, pk):
    return _activity_transition(
        request,
        pk,
        timeline_services.cancel_activity,
        gettext("“%(subject)s” canceled."),
        gettext("“%(subject)s” is no longer open; it was not canceled."),
    )


@require_GET
def download_attachment(request, pk):
    try:
        attachment = selectors.get_attachment(pk=pk, user=request.user)
    except ObjectDoesNotExist:
        raise Http404("No such attachment.") from None
    try:
        return attachment_response(attachment)
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
