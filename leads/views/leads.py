"""Lead pages: my work, list, detail, create/edit and the lifecycle actions.

Views are thin: read through selectors (the scope gate makes anything else a 404),
validate with a form, call one service, report with a message and redirect. Refused
or stale transitions become messages on the page, never an error page.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from accounts.models import Account
from leads.exceptions import TransitionRefused
from leads.filters import SAVED_VIEWS, SORT_FIELDS
from leads.forms.lifecycle import (
    BulkActionForm,
    DisqualifyLeadForm,
    LeadForm,
    QualifyLeadForm,
)
from leads.models import Lead, LeadState, LeadStatus
from leads.reports.sources import source_highlights
from leads.selectors import leads as selectors
from leads.selectors.capture import possible_duplicates
from leads.selectors.duplicates import (
    find_duplicate_leads,
    find_matching_accounts_contacts,
)
from leads.selectors.routing import lead_routing_history
from leads.selectors.timeline import lead_related_context
from leads.services import lifecycle, qualification
from leads.services.routing import bulk_route_leads
from leads.submissions import submitted_object_id
from leadsite.errors import error_message
from leadsite.filter_chips import filter_chips
from leadsite.history import changes_context
from leadsite.http import safe_next_url
from leadsite.pagination import paginate
from leadsite.permissions import (
    assignable_teams,
    assignable_users,
    is_administrator,
    is_manager,
    visible_to,
)
from leadsite.versioning import EditConflict, resolve_conflict

PAGE_SIZE = 50
STALE_MESSAGE = (
    "This lead changed while you were looking at it. Here is its current state."
)


def _lead_or_404(request, pk, *, detail=False):
    getter = selectors.get_lead_for_detail if detail else selectors.get_lead
    try:
        return getter(pk=pk, user=request.user)
    except Lead.DoesNotExist:
        raise Http404("No lead here, or not one you can see.") from None


def _refusal_message(request, error, lead):
    """Show a refused step as a message; point at the result page when qualified."""
    text = " ".join(getattr(error, "messages", [str(error)])) or STALE_MESSAGE
    if isinstance(error, TransitionNotAllowed | ConcurrentTransition):
        text = STALE_MESSAGE
    fresh = Lead.objects.filter(pk=lead.pk).values_list("state", flat=True).first()
    if fresh == LeadState.QUALIFIED:
        messages.warning(
            request,
            format_html(
                '{} <a href="{}">See what qualification created.</a>',
                text,
                reverse("leads:qualified", args=[lead.pk]),
            ),
        )
    else:
        messages.warning(request, text)


REFUSALS = (TransitionRefused, TransitionNotAllowed, ConcurrentTransition)


def _duplicate_ids(duplicates):
    return [lead.pk for lead in duplicates]


def _assignees(user):
    """Users and teams for the assign pickers, each read once."""
    return {
        "assign_users": list(assignable_users(user)),
        "assign_teams": list(assignable_teams(user)),
    }


def _reuse_choices(form, assignees):
    """The filter's owner and team pickers show the users and teams already read
    for the assign pickers (the same lists), instead of reading them again."""
    for name, records in [
        ("owner", assignees["assign_users"]),
        ("team", assignees["assign_teams"]),
    ]:
        field = form.fields[name]
        # The widget renders the options; validation still goes through the
        # field's queryset.
        field.widget.choices = [
            ("", field.empty_label),
            *((record.pk, field.label_from_instance(record)) for record in records),
        ]


class HomeView(TemplateView):
    template_name = "leads/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        open_leads = selectors.my_open_leads(user=user)
        context["my_open_leads"] = list(open_leads[:10])
        context["open_count"] = selectors.count_capped(open_leads)
        context["new_count"] = selectors.count_capped(
            open_leads.filter(status=LeadStatus.NEW)
        )
        context["my_activities"] = list(selectors.my_open_activities(user=user)[:10])
        context["activity_count"] = selectors.count_capped(
            selectors.my_open_activities(user=user)
        )
        context["count_cap"] = selectors.COUNT_CAP
        context["now"] = timezone.now()
        if is_manager(user) or is_administrator(user):
            # Issue 10: the manager's source card, linking to the report.
            context["source_highlights"] = source_highlights(
                user=user, today=timezone.localdate()
            )
        return context


# List columns: (label, sort key or None, css class). "minor" columns are left out
# of the stacked phone rows (name, company, status, owner).
LIST_COLUMNS = [
    ("Name", "name", "c-name"),
    ("Topic", None, "c-topic minor"),
    ("Company", "company", "c-company"),
    ("Email", None, "c-email minor"),
    ("Status", "status", "c-status"),
    ("Rating", "rating", "c-rating minor"),
    ("Est. value", "value", "num minor"),
    ("Est. close", "close", "c-date minor"),
    ("Owner", None, "c-owner"),
    ("Created", "created", "c-date minor"),
]


def _sort_columns(querystring, current):
    """Header cells with the link that sorts by them (again: reversed)."""
    prefix = f"?{querystring}&" if querystring else "?"
    columns = []
    for label, key, css in LIST_COLUMNS:
        column = {"label": label, "css": css, "url": None, "direction": ""}
        if key in SORT_FIELDS:
            if current == key:
                column.update(url=f"{prefix}sort=-{key}", direction="asc")
            elif current == f"-{key}":
                column.update(url=f"{prefix}sort={key}", direction="desc")
            else:
                column["url"] = f"{prefix}sort={'-' if key in DESC_FIRST else ''}{key}"
        columns.append(column)
    return columns


FILTER_FIELDS = [
    "state",
    "status",
    "source",
    "rating",
    "owner",
    "team",
    "business_unit",
    "campaign",
]
# Columns whose first click sorts the biggest/newest first.
DESC_FIRST = {"created", "value"}


class LeadListView(TemplateView):
    template_name = "leads/lead_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        leadfilter = selectors.filter_leads(
            user=request.user, params=request.GET, request=request
        )
        queryset = leadfilter.qs
        # Shared paginator: page rows + one, and a capped count (never the table).
        page = paginate(request, queryset, per_page=PAGE_SIZE)
        rows = page.object_list
        params = request.GET.copy()
        params.pop("page", None)
        sort_params = params.copy()
        sort_params.pop("sort", None)
        current_sort = request.GET.get("sort", "")
        assignees = _assignees(request.user)
        _reuse_choices(leadfilter.form, assignees)
        context.update(
            {
                "filter": leadfilter,
                "filter_fields": [leadfilter.form[name] for name in FILTER_FIELDS],
                "leads": rows,
                "page": page,
                "querystring": params.urlencode(),
                "chips": filter_chips(leadfilter.form, request.GET),
                "columns": _sort_columns(sort_params.urlencode(), current_sort),
                "saved_views": SAVED_VIEWS,
                "current_view": leadfilter.form.cleaned_data.get("view")
                if leadfilter.is_valid()
                else request.GET.get("view", "mine"),
                "bulk_form": BulkActionForm(user=request.user),
                **assignees,
            }
        )
        return context


class LeadDetailView(TemplateView):
    template_name = "leads/lead_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        lead = _lead_or_404(self.request, kwargs["pk"], detail=True)
        context.update(
            {
                "lead": lead,
                "object": lead,
                "transitions": selectors.available_transitions(lead=lead, user=user),
                "history": selectors.lead_history(lead=lead),
                # The partner's name always; a link only when the viewer may open it.
                "partner_visible": lead.channel_partner_id is not None
                and visible_to(
                    user, Account.objects.filter(pk=lead.channel_partner_id)
                ).exists(),
                "routing_history": lead_routing_history(lead=lead),
                **(_assignees(user) if lead.is_open else {}),
            }
        )
        context.update(lead_related_context(lead=lead, user=user))
        context.update(changes_context(user=user, record=lead))
        context["possible_duplicates"] = possible_duplicates(lead=lead, user=user)
        return context


def _lead_form_page(request, *, lead=None):
    """Create (lead=None) or edit; warns about duplicates before saving."""
    template = "leads/lead_form.html"
    if request.method != "POST":
        form = LeadForm(instance=lead, user=request.user)
        return render(request, template, {"form": form, "lead": lead})
    if lead is None:
        # The same form sent again (double click, resend): its lead, not a second.
        earlier = submitted_object_id(
            token=request.POST.get("submission_token"), kind="lead", by=request.user
        )
        if earlier is not None:
            messages.info(request, "This lead was already created from this form.")
            return redirect("leads:detail", pk=earlier)
    form = LeadForm(request.POST, instance=lead, user=request.user)
    duplicates = []
    if form.is_valid():
        data = form.cleaned_data
        duplicates = find_duplicate_leads(
            user=request.user,
            email=data["email"],
            company_name=data["company_name"],
            last_name=data["last_name"],
            phone=data["business_phone"] or data["mobile_phone"],
            exclude_pk=lead.pk if lead else None,
        )
        if duplicates and not data["confirm_duplicates"]:
            # Same form again, now with the warning and a "Save anyway" button.
            return render(
                request,
                template,
                {"form": form, "lead": lead, "duplicates": duplicates},
            )
        try:
            if lead is None:
                saved = lifecycle.create_lead(
                    by=request.user,
                    submission_token=data["submission_token"],
                    assign_to_me=form.cleaned_data.get("assign_to_me", False),
                    **form.service_fields(),
                )
                messages.success(request, f"Lead “{saved}” created.")
                if (
                    not selectors.list_leads(user=request.user)
                    .filter(pk=saved.pk)
                    .exists()
                ):
                    # Routing gave it to someone outside the creator's scope.
                    messages.info(request, f"It was routed to {saved.owner}.")
                    return redirect("leads:list")
            else:
                saved = lifecycle.update_lead(
                    lead=lead,
                    by=request.user,
                    expected_version=data["version"],
                    **form.service_fields(),
                )
                messages.success(request, "Lead saved.")
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
        request, template, {"form": form, "lead": lead, "duplicates": duplicates}
    )


def lead_create(request):
    return _lead_form_page(request)


def lead_edit(request, pk):
    lead = _lead_or_404(request, pk)
    if not lead.is_open:
        return render(
            request,
            "leads/lead_form.html",
            {
                "lead": lead,
                "closed_message": lifecycle.closed_message(lead),
                "transitions": selectors.available_transitions(
                    lead=lead, user=request.user
                ),
            },
        )
    return _lead_form_page(request, lead=lead)


def lead_qualify(request, pk):
    lead = _lead_or_404(request, pk, detail=True)
    if lead.state == LeadState.QUALIFIED:
        messages.info(request, "This lead is already qualified.")
        return redirect("leads:qualified", pk=lead.pk)
    if not lead.is_open:
        messages.warning(request, lifecycle.closed_message(lead))
        return redirect(lead)
    # Read only when the page is shown (a valid POST redirects without them).
    matches = SimpleLazyObject(
        lambda: find_matching_accounts_contacts(user=request.user, lead=lead)
    )
    form = QualifyLeadForm(
        request.POST or None, user=request.user, lead=lead, matches=matches
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = qualification.qualify_lead(
                lead=lead, by=request.user, **form.service_kwargs()
            )
        except REFUSALS as error:
            _refusal_message(request, error, lead)
            if Lead.objects.filter(pk=lead.pk, state=LeadState.QUALIFIED).exists():
                return redirect("leads:qualified", pk=lead.pk)
            return redirect(lead)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # The result page is the confirmation; no second "Lead qualified" message.
            request.session[f"qualified-{lead.pk}"] = result.summary
            return redirect("leads:qualified", pk=lead.pk)
    return render(
        request,
        "leads/lead_qualify.html",
        {
            "lead": lead,
            "form": form,
            "matches": matches,
            "interests_count": lead.interests.count(),
        },
    )


def lead_qualified(request, pk):
    lead = _lead_or_404(request, pk, detail=True)
    summary = request.session.get(f"qualified-{lead.pk}", {})
    records = [
        (name, record, summary.get(name, "linked"))
        for name, record in (
            ("account", lead.qualifying_account),
            ("contact", lead.qualifying_contact),
            ("opportunity", lead.qualifying_opportunity),
        )
        if record is not None
    ]
    return render(
        request,
        "leads/lead_qualified.html",
        {"lead": lead, "records": records, "from_this_request": bool(summary)},
    )


def lead_disqualify(request, pk):
    lead = _lead_or_404(request, pk, detail=True)
    if not lead.is_open:
        messages.warning(request, lifecycle.closed_message(lead))
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
            _refusal_message(request, error, lead)
            return redirect(lead)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Lead disqualified.")
            return redirect(lead)
    refusal = lifecycle.transition_refusal(lead, "disqualify", by=request.user)
    return render(
        request,
        "leads/lead_disqualify.html",
        {"lead": lead, "form": form, "refusal": refusal},
    )


def _simple_transition(request, pk, service, done):
    lead = _lead_or_404(request, pk)
    try:
        service(lead=lead, by=request.user)
    except REFUSALS as error:
        _refusal_message(request, error, lead)
    else:
        messages.success(request, done)
    return redirect(lead)


@require_POST
def lead_reactivate(request, pk):
    return _simple_transition(
        request, pk, lifecycle.reactivate_lead, "Lead reactivated."
    )


@require_POST
def lead_mark_contacted(request, pk):
    return _simple_transition(
        request, pk, lifecycle.mark_contacted, "Lead marked as contacted."
    )


def _safe_next(request, url):
    return safe_next_url(request, url) or reverse("leads:list")


@require_POST
def lead_bulk(request):
    form = BulkActionForm(request.POST, user=request.user)
    if not form.is_valid():
        for error in form.errors.values():
            for text in error:
                messages.error(request, text)
        return HttpResponseRedirect(_safe_next(request, request.POST.get("next")))
    data = form.cleaned_data
    leads = list(data["ids"])
    try:
        if data["action"] == BulkActionForm.ASSIGN:
            result = lifecycle.bulk_assign_leads(
                leads=leads,
                by=request.user,
                owner_user=data["owner_user"],
                owner_team=data["owner_team"],
            )
            verb = f"assigned to {data['owner_user'] or data['owner_team']}"
        elif data["action"] == BulkActionForm.ROUTE:
            routed = bulk_route_leads(leads=leads, by=request.user)
            result = lifecycle.BulkResult(
                changed=[entry.lead for entry in routed.routed], refused=routed.refused
            )
            verb = "routed by the rules (see each lead's routing history)"
        else:
            result = lifecycle.bulk_disqualify_leads(
                leads=leads, by=request.user, reason=data["reason"]
            )
            verb = f"disqualified ({LeadStatus(data['reason']).label})"
    except ValidationError as error:
        messages.error(request, error_message(error))
        return HttpResponseRedirect(_safe_next(request, data["next"]))
    if result.changed:
        count = len(result.changed)
        messages.success(request, f"{count} lead{'s' if count != 1 else ''} {verb}.")
    for lead, why in result.refused:
        messages.warning(request, f"{lead}: {why}")
    return HttpResponseRedirect(_safe_next(request, data["next"]))
