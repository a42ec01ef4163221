"""Creating and editing a lead, and its lifecycle transitions (disqualify, reactivate, mark contacted)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from leads.exceptions import TransitionRefused, closed_message
from leads.forms.lifecycle import (
    ROUTING_FIELDS,
    DisqualifyLeadForm,
    LeadForm,
    LeadRoutingPreviewForm,
)
from leads.selectors import leads as selectors
from leads.selectors.duplicate_rules import check_lead_duplicates
from leads.selectors.routing.dry_run import routing_preview
from leads.selectors.routing.pages import latest_assignment
from leads.services import lifecycle
from leads.submissions import submitted_object_id
from leads.views.common import (
    REFUSALS,
    lead_or_404,
    refusal_message,
)
from leadsite.core.errors import error_message
from leadsite.core.versioning import EditConflict, resolve_conflict


def _earlier_lead(request):
    """The same form sent again (double click, resend): a redirect to the lead the
    first POST created, or None."""
    earlier = submitted_object_id(
        token=request.POST.get("submission_token"), kind="lead", by=request.user
    )
    if earlier is None:
        return None
    messages.info(request, gettext("This lead was already created from this form."))
    return redirect("leads:detail", pk=earlier)


def _preview(request, data=None):
    """Where a new lead with the routing fields in `data` would go."""
    form = LeadRoutingPreviewForm(data or {}, user=request.user)
    return routing_preview(
        user=request.user,
        fields=form.routing_fields(),
        assign_to_me=form.cleaned_data.get("assign_to_me", False),
    )


@require_GET
def lead_routing_preview(request):
    """The new-lead form's "Owner" box for the values typed so far (htmx GET when a
    routing field changes). Reads only."""
    return render(
        request,
        "leads/partials/routing_preview.html",
        {"preview": _preview(request, request.GET)},
    )


def _created(request, lead):
    """After a create: say where the lead went. Its page, or the list when routing
    gave it to someone outside the creator's scope."""
    if lead.owner_user_id == request.user.pk:
        messages.success(request, gettext("Lead “%(lead)s” created.") % {"lead": lead})
        return redirect(lead)
    entry = latest_assignment(lead=lead)
    rule = entry.rule if entry is not None else None
    values = {"lead": lead, "owner": lead.owner}
    if rule:
        text = gettext(
            "Lead “%(lead)s” created and routed to %(owner)s by the rule “%(rule)s”: "
            "%(detail)s."
        ) % {**values, "rule": rule, "detail": entry.detail}
    else:
        text = gettext("Lead “%(lead)s” created and routed to %(owner)s.") % values
    if selectors.list_leads(user=request.user).filter(pk=lead.pk).exists():
        messages.success(request, text)
        return redirect(lead)
    outside = gettext("It is outside the leads you can open, so it is not shown.")
    messages.success(request, f"{text} {outside}")
    return redirect("leads:list")


def _lead_form_page(request, *, lead=None):
    """Create (lead=None) or edit; warns about duplicates before saving. The
    create form says where the new lead will go (routing preview)."""
    template = "leads/lead_form.html"
    if request.method != "POST":
        form = LeadForm(instance=lead, user=request.user)
        context = {"form": form, "lead": lead}
        if lead is None:
            # The form's initial values (a default rating) may already match a rule.
            initial = {name: form[name].value() for name in ROUTING_FIELDS}
            context["routing_preview"] = _preview(request, initial)
        return render(request, template, context)
    if lead is None and (earlier := _earlier_lead(request)) is not None:
        return earlier
    form = LeadForm(request.POST, instance=lead, user=request.user)
    duplicates = []
    if form.is_valid():
        data = form.cleaned_data
        # The published duplicate rules (leads.selectors.duplicate_rules): a block
        # rule refuses with the matches shown, a warning asks to confirm.
        duplicates = check_lead_duplicates(
            user=request.user,
            fields=data,
            exclude_pk=lead.pk if lead else None,
            business_unit_id=lead.business_unit_id
            if lead
            else request.user.business_unit_id,
        )
        if duplicates.blocked or (duplicates and not data["confirm_duplicates"]):
            # A twin POST of this form may have committed its lead since the first
            # look: that lead is then the "duplicate" found, and this POST lands on it.
            if lead is None and (earlier := _earlier_lead(request)) is not None:
                return earlier
            # Same form again, now with the warning and a "Save anyway" button.
            return render(
                request,
                template,
                {
                    "form": form,
                    "lead": lead,
                    "duplicates": duplicates,
                    "routing_preview": None
                    if lead
                    else _preview(request, request.POST),
                },
            )
        try:
            if lead is None:
                saved = lifecycle.create_lead(
                    by=request.user,
                    submission_token=data["submission_token"],
                    assign_to_me=form.cleaned_data.get("assign_to_me", False),
                    **form.service_fields(),
                )
                return _created(request, saved)
            else:
                saved = lifecycle.update_lead(
                    lead=lead,
                    by=request.user,
                    expected_version=data["version"],
                    **form.service_fields(),
                )
                messages.success(request, gettext("Lead saved."))
        except EditConflict as conflict:
            merged, rows = resolve_conflict(
                LeadForm, form, conflict.current, user=request.user
            )
            context = {"form": merged, "lead": lead, "conflict_rows": rows}
            return render(request, template, context)
        except TransitionRefused as error:
            messages.warning(request, error_message(error))
            return redirect(lead)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(saved)
    return render(
        request,
        template,
        {
            "form": form,
            "lead": lead,
            "duplicates": duplicates,
            "routing_preview": None if lead else _preview(request, request.POST),
        },
    )


def lead_create(request):
    return _lead_form_page(request)


def lead_edit(request, pk):
    lead = lead_or_404(request, pk)
    if not lead.is_editable:
        return render(
            request,
            "leads/lead_form.html",
            {
                "lead": lead,
                "closed_message": closed_message(lead),
                "transitions": selectors.available_transitions(
                    lead=lead, user=request.user
                ),
            },
        )
    return _lead_form_page(request, lead=lead)


def lead_disqualify(request, pk):
    lead = lead_or_404(request, pk, detail=True)
    if not lead.is_editable:
        messages.warning(request, closed_message(lead))
        return redirect(lead)
    form = DisqualifyLeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.disqualify_lead(
                lead=lead,
                by=request.user,
                reason=form.cleaned_data["reason"],
                description=form.cleaned_data["description"],
            )
        except REFUSALS as error:
            refusal_message(request, error, lead)
            return redirect(lead)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Lead disqualified."))
            return redirect(lead)
    refusal = lifecycle.transition_refusal(lead, "disqualify", by=request.user)
    return render(
        request,
        "leads/lead_disqualify.html",
        {"lead": lead, "form": form, "refusal": refusal},
    )


def _simple_transition(request, pk, service, done):
    lead = lead_or_404(request, pk)
    try:
        service(lead=lead, by=request.user)
    except REFUSALS as error:
        refusal_message(request, error, lead)
    else:
        messages.success(request, done)
    return redirect(lead)


@require_POST
def lead_reactivate(request, pk):
    return _simple_transition(
        request, pk, lifecycle.reactivate_lead, gettext("Lead reactivated.")
    )


@require_POST
def lead_mark_contacted(request, pk):
    return _simple_transition(
        request, pk, lifecycle.mark_contacted, gettext("Lead marked as contacted.")
    )
