"""Views for records related to a lead: links, interests, timeline items, merge.

Writes are POST-only and follow post/redirect/get: a success or error message, then
back to the record's page. Form errors come back as an error message that names the
field ("Text: This field is required."), so every record page (lead, account,
contact, opportunity) shows them without re-rendering another page's view. Every
record is looked up through the scope gate; outside it the answer is 404.
"""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.forms.utils import pretty_name
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import TransitionNotAllowed

from leads.forms.related import (
    ActivityForm,
    AttachmentForm,
    InterestForm,
    LinkAccountForm,
    LinkContactForm,
    MergeLeadsForm,
    NoteForm,
)
from leads.models import LeadProduct, LeadState
from leads.selectors import timeline as selectors
from leads.selectors.merge import (
    differing_fields,
    get_merge_pair,
    merge_candidates,
    merge_rows,
    parse_ids,
)
from leads.services import related as related_services
from leads.services import timeline as timeline_services
from leads.services.lifecycle import closed_message
from leads.services.merge import merge_leads as merge_leads_service
from leads.views.common import form_panel
from leadsite.errors import error_message
from leadsite.http import safe_next_url


def _record_or_404(request, record_type, pk):
    try:
        return selectors.get_record(record_type=record_type, pk=pk, user=request.user)
    except (LookupError, ObjectDoesNotExist):
        raise Http404("No such record.") from None


def _lead_or_404(request, pk):
    return _record_or_404(request, "lead", pk)


def _back(record, anchor=""):
    return HttpResponseRedirect(record.get_absolute_url() + anchor)


def _form_error_message(form) -> str:
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(errors)
        if name == "__all__":
            parts.append(text)
        else:
            parts.append(f"{form.fields[name].label or pretty_name(name)}: {text}")
    return " ".join(parts)


def _fail(request, what: str, detail: str):
    messages.error(request, f"{what} — {detail}")


def _timeline_panel(request, record, record_type, kind, title, form_class):
    form = form_class(auto_id=f"id_{kind}_{record_type}_%s")
    return form_panel(
        request,
        record,
        title=title,
        template=f"partials/panels/{kind}.html",
        context={"form": form, "action": request.path},
    )


# --- Timeline -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def add_note(request, record_type, pk):
    record = _record_or_404(request, record_type, pk)
    if request.method == "GET":
        return _timeline_panel(
            request, record, record_type, "note", "Add note", NoteForm
        )
    form = NoteForm(request.POST)
    if not form.is_valid():
        _fail(request, "The note was not added", _form_error_message(form))
        return _back(record, "#timeline")
    try:
        timeline_services.add_note(record=record, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        _fail(request, "The note was not added", error_message(error, form))
    else:
        messages.success(request, "Note added.")
    return _back(record, "#timeline")


@require_http_methods(["GET", "POST"])
def add_activity(request, record_type, pk):
    record = _record_or_404(request, record_type, pk)
    if request.method == "GET":
        return _timeline_panel(
            request, record, record_type, "activity", "Log activity", ActivityForm
        )
    form = ActivityForm(request.POST)
    if not form.is_valid():
        _fail(request, "The activity was not logged", _form_error_message(form))
        return _back(record, "#timeline")
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
        _fail(request, "The activity was not logged", detail)
    else:
        messages.success(request, f"{activity.get_kind_display()} logged.")
    return _back(record, "#timeline")


@require_http_methods(["GET", "POST"])
def add_attachment(request, record_type, pk):
    record = _record_or_404(request, record_type, pk)
    if request.method == "GET":
        return _timeline_panel(
            request, record, record_type, "attachment", "Upload file", AttachmentForm
        )
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        _fail(request, "The file was not uploaded", _form_error_message(form))
        return _back(record, "#timeline")
    try:
        attachment = timeline_services.add_attachment(
            record=record,
            by=request.user,
            upload=form.cleaned_data["file"],
            submission_token=form.cleaned_data["submission_token"],
        )
    except ValidationError as error:
        _fail(request, "The file was not uploaded", error_message(error, form))
    else:
        messages.success(request, f"“{attachment.original_name}” uploaded.")
    return _back(record, "#timeline")


def _activity_transition(request, pk, service, done: str):
    try:
        activity = selectors.get_activity(pk=pk, user=request.user)
    except ObjectDoesNotExist:
        raise Http404("No such activity.") from None
    try:
        service(activity=activity, by=request.user)
    except TransitionNotAllowed:
        messages.error(
            request, f"“{activity.subject}” is no longer open; it was not {done}."
        )
    except ValidationError as error:
        messages.error(request, error_message(error))
    else:
        messages.success(request, f"“{activity.subject}” {done}.")
    next_url = safe_next_url(request, request.POST.get("next"))
    if next_url:
        return HttpResponseRedirect(next_url + "#timeline")
    return _back(activity.regarding, "#timeline")


@require_POST
def complete_activity(request, pk):
    return _activity_transition(
        request, pk, timeline_services.complete_activity, "completed"
    )


@require_POST
def cancel_activity(request, pk):
    return _activity_transition(
        request, pk, timeline_services.cancel_activity, "canceled"
    )


@require_GET
def download_attachment(request, pk):
    try:
        attachment = selectors.get_attachment(pk=pk, user=request.user)
    except ObjectDoesNotExist:
        raise Http404("No such attachment.") from None
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Links and interests (edits of the lead: refused on closed leads) -----------------


def _lead_panel(request, pk, *, title, template, form_factory):
    """The add form of an edit of the lead (GET on its URL); a closed lead says
    why it cannot be changed instead."""
    lead = _lead_or_404(request, pk)
    context = {"action": request.path}
    if lead.state != LeadState.OPEN:
        context["closed"] = closed_message(lead)
    else:
        context["form"] = form_factory(lead)
    return form_panel(request, lead, title=title, template=template, context=context)


def _lead_edit(request, pk, form, action, success: str, failure: str):
    lead = _lead_or_404(request, pk)
    if form is not None and not form.is_valid():
        _fail(request, failure, _form_error_message(form))
        return _back(lead, "#related")
    try:
        message = action(lead, form.cleaned_data if form is not None else {})
    except ValidationError as error:
        _fail(request, failure, error_message(error, form))
    else:
        messages.success(request, message or success)
    return _back(lead, "#related")


@require_http_methods(["GET", "POST"])
def link_account(request, pk):
    if request.method == "GET":
        return _lead_panel(
            request,
            pk,
            title="Link an account",
            template="leads/panels/link_account.html",
            form_factory=lambda lead: LinkAccountForm(user=request.user, lead=lead),
        )
    form = LinkAccountForm(request.POST, user=request.user)

    def action(lead, data):
        _, created = related_services.link_account(
            lead=lead, account=data["account"], by=request.user
        )
        verb = "linked" if created else "was already linked"
        return f"Account “{data['account']}” {verb}."

    return _lead_edit(request, pk, form, action, "", "The account was not linked")


@require_POST
def unlink_account(request, pk, account_pk):
    account = _record_or_404(request, "account", account_pk)

    def action(lead, data):
        related_services.unlink_account(lead=lead, account=account, by=request.user)
        return f"Account “{account}” unlinked."

    return _lead_edit(request, pk, None, action, "", "The account was not unlinked")


@require_http_methods(["GET", "POST"])
def link_contact(request, pk):
    if request.method == "GET":
        return _lead_panel(
            request,
            pk,
            title="Link a contact",
            template="leads/panels/link_contact.html",
            form_factory=lambda lead: LinkContactForm(user=request.user, lead=lead),
        )
    form = LinkContactForm(request.POST, user=request.user)

    def action(lead, data):
        _, created = related_services.link_contact(
            lead=lead, contact=data["contact"], by=request.user
        )
        verb = "linked" if created else "was already linked"
        return f"Contact “{data['contact']}” {verb}."

    return _lead_edit(request, pk, form, action, "", "The contact was not linked")


@require_POST
def unlink_contact(request, pk, contact_pk):
    contact = _record_or_404(request, "contact", contact_pk)

    def action(lead, data):
        related_services.unlink_contact(lead=lead, contact=contact, by=request.user)
        return f"Contact “{contact}” unlinked."

    return _lead_edit(request, pk, None, action, "", "The contact was not unlinked")


@require_http_methods(["GET", "POST"])
def add_interest(request, pk):
    if request.method == "GET":
        return _lead_panel(
            request,
            pk,
            title="Add a product interest",
            template="leads/panels/interest.html",
            form_factory=lambda lead: InterestForm(),
        )
    form = InterestForm(request.POST)

    def action(lead, data):
        interest = related_services.add_interest(lead=lead, by=request.user, **data)
        return f"Interest in “{interest.product}” saved."

    return _lead_edit(request, pk, form, action, "", "The interest was not saved")


@require_POST
def remove_interest(request, pk, interest_pk):
    def action(lead, data):
        try:
            interest = LeadProduct.objects.select_related("product").get(
                pk=interest_pk, lead=lead
            )
        except LeadProduct.DoesNotExist:
            raise Http404("No such interest.") from None
        related_services.remove_interest(lead=lead, interest=interest, by=request.user)
        return f"Interest in “{interest.product}” removed."

    return _lead_edit(request, pk, None, action, "", "The interest was not removed")


# --- Merge ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def merge_leads(request):
    ids = parse_ids(request.GET.get("ids", ""))
    if len(ids) == 1:
        lead = _lead_or_404(request, ids[0])
        # NUL cannot reach a PostgreSQL text parameter; a tampered one is dropped.
        q = request.GET.get("q", "").replace("\x00", "").strip()[:100]
        return render(
            request,
            "leads/lead_merge.html",
            {
                "first_lead": lead,
                "candidates": merge_candidates(lead=lead, user=request.user, q=q),
                "q": q,
            },
        )
    if len(ids) != 2:
        raise Http404("Choose two leads to merge.")
    try:
        lead_a, lead_b = get_merge_pair(ids=ids, user=request.user)
    except ObjectDoesNotExist:
        raise Http404("No such lead.") from None
    fields = differing_fields(lead_a, lead_b)
    form = MergeLeadsForm(
        request.POST or None, lead_a=lead_a, lead_b=lead_b, fields=fields
    )
    closed = [lead for lead in (lead_a, lead_b) if not lead.is_open]
    if request.method == "POST" and not closed and form.is_valid():
        try:
            master = merge_leads_service(by=request.user, **form.merge_arguments())
        except ObjectDoesNotExist:
            raise Http404("No such lead.") from None
        except (ValidationError, TransitionNotAllowed) as error:
            detail = (
                error_message(error)
                if isinstance(error, ValidationError)
                else str(error)
            )
            form.add_error(None, detail)
        else:
            messages.success(request, f"Leads merged into “{master}”.")
            return HttpResponseRedirect(master.get_absolute_url())
    return render(
        request,
        "leads/lead_merge.html",
        {
            "lead_a": lead_a,
            "lead_b": lead_b,
            "form": form,
            "rows": merge_rows(lead_a, lead_b, form),
            "closed_leads": closed,
            "merge_action": reverse("leads:merge") + f"?ids={lead_a.pk},{lead_b.pk}",
        },
    )
