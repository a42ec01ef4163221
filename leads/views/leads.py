"""Lead pages that read: home, the list with its bulk actions, the detail page."""

from contextlib import nullcontext

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from accounts.models import Account, ListKind
from accounts.permissions import (
    is_administrator,
    is_manager,
    visible_to,
)
from accounts.selectors import changes_context
from accounts.views.saved_views import SavedViewCreateView, SavedViewsMixin
from leads.exceptions import closed_message
from leads.filters import SAVED_VIEWS, SORT_FIELDS, LeadFilter
from leads.forms.lifecycle import BulkActionForm
from leads.forms.timeline import timeline_forms
from leads.models import LeadStatus
from leads.presenters.leads import lead_rows
from leads.presenters.scoring import score_panel
from leads.reports.sources import source_highlights
from leads.selectors import leads as selectors
from leads.selectors.capture import possible_duplicates
from leads.selectors.links import lead_links_context
from leads.selectors.scoring import describe_score, score_of
from leads.services import lifecycle
from leads.services.routing import bulk_route_leads
from leads.views.common import (
    PAGE_SIZE,
    assignees,
    form_panel,
    lead_or_404,
    reuse_choices,
)
from leadsite.core.display import url_maker
from leadsite.core.errors import error_message
from leadsite.core.filter_chips import filter_chips
from leadsite.core.http import safe_next_url
from leadsite.core.pagination import paginate
from leadsite.core.planning import planned_for_their_values


class HomeView(TemplateView):
    template_name = "leads/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        open_leads = selectors.my_open_leads(user=user)
        context["my_open_leads"] = list(selectors.list_rows(open_leads)[:10])
        cap = selectors.HOME_COUNT_CAP
        context["open_count"], context["new_count"] = selectors.open_and_new_counts(
            open_leads, cap
        )
        context["my_activities"] = list(
            selectors.with_regarding(selectors.my_open_activities(user=user)[:10])
        )
        context["activity_count"] = selectors.count_capped(
            selectors.my_open_activities(user=user), cap
        )
        context["count_cap"] = cap
        context["call_first"] = selectors.call_first(user=user)
        if not context["call_first"] and context["my_open_leads"]:
            # Why none of them has a number yet ("Not enough data yet: ...").
            context["call_first_missing"] = describe_score(None).missing
        context["now"] = timezone.now()
        context["lead_url"] = url_maker("leads:detail")
        if is_manager(user) or is_administrator(user):
            # The manager's source card, linking to the report.
            context["source_highlights"] = source_highlights(
                user=user, today=timezone.localdate()
            )
        return context


# List columns: (label, sort key or None, css class). "minor" columns are left out
# of the stacked phone rows (name, company, status, owner).
LIST_COLUMNS = [
    (_("Name"), "name", "c-name"),
    (_("Topic"), None, "c-topic minor"),
    (_("Company"), "company", "c-company"),
    (_("Email"), None, "c-email minor"),
    (_("Status"), "status", "c-status"),
    (_("Score"), "score", "c-score num"),
    (_("Rating"), "rating", "c-rating minor"),
    (_("Est. value"), "value", "num minor"),
    (_("Est. close"), "close", "c-date minor"),
    (_("Owner"), None, "c-owner"),
    (_("Created"), "created", "c-date minor"),
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


SEARCH_COUNT_CAP = 500

FILTER_FIELDS = [
    "state",
    "status",
    "source",
    "rating",
    "owner",
    "team",
    "business_unit",
    "campaign",
    "grade",
    "consent",
]
# Columns whose first click sorts the biggest/newest first.
DESC_FIRST = {"created", "value", "score"}


class LeadListView(SavedViewsMixin, TemplateView):
    template_name = "leads/lead_list.html"
    # Saved views (accounts/views/saved_views.py): the menu and the default view.
    list_kind = ListKind.LEADS
    filterset_class = LeadFilter
    system_views = [(label, f"view={key}") for key, label in SAVED_VIEWS]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        leadfilter = selectors.filter_leads(
            user=request.user, params=request.GET, request=request
        )
        queryset = selectors.list_row_values(leadfilter.qs)
        # Shared paginator: page rows + one, and a capped count (never the table).
        # A text search counts to SEARCH_COUNT_CAP ("500+", ten pages): past that
        # the user narrows the search rather than pages, and the count of a broad
        # two-letter search scans rows in proportion to the cap (see README,
        # Performance).
        searching = bool(request.GET.get("q", "").strip())
        counted = leadfilter.qs
        if searching:
            # Counted newest first, as the default page walks (paginate).
            counted = counted.order_by("-created_at", "-pk")
        # A search is planned for its words, never by a prepared generic plan.
        with planned_for_their_values() if searching else nullcontext():
            page = paginate(
                request,
                selectors.page_rows(queryset, request.GET),
                # Counted without the rows' columns and joins.
                counted=counted,
                per_page=PAGE_SIZE,
                cap=SEARCH_COUNT_CAP if searching else None,
                count_in_order=searching,
            )
        # The page's rows as the table shows them (values, never model instances).
        rows = lead_rows(page.object_list)
        params = request.GET.copy()
        params.pop("page", None)
        sort_params = params.copy()
        sort_params.pop("sort", None)
        current_sort = request.GET.get("sort", "")
        context.update(
            {
                "filter": leadfilter,
                "leads": rows,
                "page": page,
                "querystring": params.urlencode(),
                "chips": filter_chips(leadfilter.form, request.GET),
                "columns": _sort_columns(sort_params.urlencode(), current_sort),
                "saved_views": SAVED_VIEWS,
                "current_view": _current_view(leadfilter, request),
                # The bar's reasons; its pickers load when it first shows.
                "bulk_reasons": BulkActionForm.base_fields["reason"].choices,
            }
        )
        if leadfilter.form.errors:
            # The filter form shows here, open, with its errors beside the fields;
            # otherwise it is loaded when the panel opens (lead_list_filters).
            context.update(_filter_form_context(leadfilter, request))
        return context


def _current_view(leadfilter, request):
    if leadfilter.is_valid():
        return leadfilter.form.cleaned_data.get("view")
    return request.GET.get("view", "mine")


def _filter_form_context(leadfilter, request):
    reuse_choices(leadfilter.form, assignees(request.user))
    return {
        "form": leadfilter.form,
        "filter_fields": [leadfilter.form[name] for name in FILTER_FIELDS],
        "current_view": _current_view(leadfilter, request),
    }


class LeadSavedViewCreateView(SavedViewCreateView):
    list_kind = ListKind.LEADS
    filterset_class = LeadFilter


@require_GET
def lead_list_filters(request):
    """The lead list's filter form for the list's query (GET params), loaded when
    its "Filters" panel opens; without JavaScript a page of its own."""
    leadfilter = selectors.filter_leads(
        user=request.user, params=request.GET, request=request
    )
    leadfilter.is_valid()
    return form_panel(
        request,
        None,
        title=gettext("Filter leads"),
        template="leads/panels/list_filters.html",
        context=_filter_form_context(leadfilter, request),
        back=(f"{reverse('leads:list')}?{request.GET.urlencode()}", gettext("Leads")),
    )


@require_GET
def bulk_assignees(request):
    """The user and team pickers of the lead list's bulk bar, loaded when the bar
    first shows."""
    return render(request, "leads/panels/bulk_assignees.html", assignees(request.user))


class LeadDetailView(TemplateView):
    template_name = "leads/lead_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        lead = lead_or_404(self.request, kwargs["pk"], detail=True)
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
            }
        )
        context.update(lead_links_context(lead=lead, user=user))
        context.update(timeline_forms(lead))
        context.update(changes_context(user=user, record=lead))
        context["possible_duplicates"] = possible_duplicates(lead=lead, user=user)
        context["score_panel"] = score_panel(describe_score(score_of(lead), lead))
        return context


@require_GET
def lead_assign(request, pk):
    """The assign form of one lead (loaded by its page's "Assign to someone else");
    it posts to the bulk action like the list's assign bar."""
    lead = lead_or_404(request, pk)
    context = {}
    if lead.is_editable:
        context.update(assignees(request.user))
    else:
        context["closed"] = closed_message(lead)
    return form_panel(
        request,
        lead,
        title=gettext("Assign to someone else"),
        template="leads/panels/assign.html",
        context=context,
    )


def _safe_next(request, url):
    return safe_next_url(request, url) or reverse("leads:list")


def _bulk_done(action, count: int, values: dict) -> str:
    """The success message of a bulk action on `count` leads."""
    if action == BulkActionForm.ASSIGN:
        text = ngettext(
            "%(count)s lead assigned to %(owner)s.",
            "%(count)s leads assigned to %(owner)s.",
            count,
        )
    elif action == BulkActionForm.ROUTE:
        text = ngettext(
            "%(count)s lead routed by the rules (see each lead's routing history).",
            "%(count)s leads routed by the rules (see each lead's routing history).",
            count,
        )
    else:
        text = ngettext(
            "%(count)s lead disqualified (%(reason)s).",
            "%(count)s leads disqualified (%(reason)s).",
            count,
        )
    return text % {"count": count, **values}


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
    values = {}
    try:
        if data["action"] == BulkActionForm.ASSIGN:
            result = lifecycle.bulk_assign_leads(
                leads=leads,
                by=request.user,
                owner_user=data["owner_user"],
                owner_team=data["owner_team"],
            )
            values["owner"] = data["owner_user"] or data["owner_team"]
        elif data["action"] == BulkActionForm.ROUTE:
            routed = bulk_route_leads(leads=leads, by=request.user)
            result = lifecycle.BulkResult(
                changed=[entry.lead for entry in routed.routed], refused=routed.refused
            )
        else:
            result = lifecycle.bulk_disqualify_leads(
                leads=leads, by=request.user, reason=data["reason"]
            )
            values["reason"] = LeadStatus(data["reason"]).label
    except ValidationError as error:
        messages.error(request, error_message(error))
        return HttpResponseRedirect(_safe_next(request, data["next"]))
    if result.changed:
        messages.success(
            request, _bulk_done(data["action"], len(result.changed), values)
        )
    for lead, why in result.refused:
        messages.warning(request, f"{lead}: {why}")
    return HttpResponseRedirect(_safe_next(request, data["next"]))
