"""Opportunity pages: list, detail, edit, win/lose/reopen and product lines."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.generic import FormView
from django_fsm import TransitionNotAllowed

from accounts import selectors, services
from accounts.filters import OpportunityFilter
from accounts.forms import (
    LoseOpportunityForm,
    OpportunityForm,
    OpportunityProductForm,
    WinOpportunityForm,
)
from accounts.models import ListKind, OpportunityStatus
from accounts.views.common import (
    FilteredListView,
    RecordDetailView,
    ServiceFormView,
    add_service_error,
    initial_from_query,
    record_or_404,
)
from accounts.views.saved_views import SavedViewsMixin
from leadsite.core.errors import error_message

# Why the win or lose page is refused, by the opportunity's status reason.
NOT_CLOSABLE = {
    OpportunityStatus.IN_PROGRESS: _(
        "This opportunity is in progress; it cannot be closed now."
    ),
    OpportunityStatus.ON_HOLD: _(
        "This opportunity is on hold; it cannot be closed now."
    ),
    OpportunityStatus.WON: _("This opportunity is won; it cannot be closed now."),
    OpportunityStatus.CANCELED: _(
        "This opportunity is canceled; it cannot be closed now."
    ),
    OpportunityStatus.OUT_SOLD: _(
        "This opportunity is out-sold; it cannot be closed now."
    ),
}


class OpportunityListView(SavedViewsMixin, FilteredListView):
    list_kind = ListKind.OPPORTUNITIES
    template_name = "accounts/opportunity_list.html"
    filterset_class = OpportunityFilter
    selector = selectors.list_opportunities
    rows = selectors.opportunity_rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["totals"] = selectors.opportunity_totals(self.object_list)
        context["totals_cap"] = selectors.TOTALS_CAP
        return context


class OpportunityDetailView(RecordDetailView):
    template_name = "accounts/opportunity_detail.html"
    context_object_name = "opportunity"
    getter = selectors.get_opportunity
    context_selector = selectors.opportunity_detail_context
    product_form = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.object.is_open:
            context["product_form"] = self.product_form or OpportunityProductForm()
        return context


class OpportunityCreateView(ServiceFormView):
    form_class = OpportunityForm
    success_message = _("Opportunity %(obj)s created.")

    def get_initial(self):
        return initial_from_query(self.request, ["account", "contact"])

    def perform(self, data):
        return services.create_opportunity(owner_user=self.request.user, **data)


class OpportunityUpdateView(ServiceFormView):
    form_class = OpportunityForm
    success_message = _("Opportunity %(obj)s saved.")

    def dispatch(self, request, *args, **kwargs):
        self.object = record_or_404(
            selectors.get_opportunity, user=request.user, pk=kwargs["pk"]
        )
        if not self.object.is_open:
            messages.error(request, services.CLOSED_OPPORTUNITY_MESSAGE)
            return redirect(self.object)
        return super().dispatch(request, *args, **kwargs)

    def perform(self, data):
        return services.update_opportunity(
            opportunity=self.object,
            by=self.request.user,
            expected_version=self.expected_version,
            **data,
        )


class OpportunityOutcomeView(FormView):
    """Win or lose form: a stale page or second click ends in a message, not a 500."""

    template_name = "accounts/opportunity_outcome.html"
    transition = ""
    heading = ""
    button_class = "primary"
    success_message = ""

    def dispatch(self, request, *args, **kwargs):
        self.object = record_or_404(
            selectors.get_opportunity, user=request.user, pk=kwargs["pk"]
        )
        if request.method == "GET" and self.transition not in {
            t.name
            for t in self.object.get_available_user_status_transitions(request.user)
        }:
            messages.error(request, NOT_CLOSABLE[self.object.status])
            return redirect(self.object)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            opportunity=self.object,
            heading=self.heading,
            button_class=self.button_class,
        )
        return context

    def form_valid(self, form):
        try:
            self.perform(form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                add_service_error(form, error)
                return self.form_invalid(form)
            messages.error(self.request, error_message(error))
        except TransitionNotAllowed as error:
            messages.error(self.request, error_message(error))
        else:
            messages.success(self.request, self.success_message)
        return redirect(self.object)


class OpportunityWinView(OpportunityOutcomeView):
    form_class = WinOpportunityForm
    transition = "win"
    heading = _("Close as won")
    success_message = _("Opportunity closed as won.")

    def get_initial(self):
        return {"actual_value": self.object.estimated_value}

    def perform(self, data):
        services.win_opportunity(opportunity=self.object, by=self.request.user, **data)


class OpportunityLoseView(OpportunityOutcomeView):
    form_class = LoseOpportunityForm
    transition = "lose"
    heading = _("Close as lost")
    button_class = "danger"
    success_message = _("Opportunity closed as lost.")

    def perform(self, data):
        services.lose_opportunity(opportunity=self.object, by=self.request.user, **data)


@require_POST
def opportunity_reopen(request, pk):
    opportunity = record_or_404(selectors.get_opportunity, user=request.user, pk=pk)
    try:
        services.reopen_opportunity(opportunity=opportunity, by=request.user)
    except (ValidationError, TransitionNotAllowed) as error:
        messages.error(request, error_message(error))
    else:
        messages.success(request, gettext("Opportunity reopened."))
    return redirect(opportunity)


@require_POST
def opportunity_add_product(request, pk):
    opportunity = record_or_404(selectors.get_opportunity, user=request.user, pk=pk)
    form = OpportunityProductForm(request.POST)
    if form.is_valid():
        try:
            line = services.add_opportunity_product(
                opportunity=opportunity, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, error_message(error))
                return redirect(opportunity)
            add_service_error(form, error)
        else:
            messages.success(
                request, gettext("%(product)s added.") % {"product": line.product}
            )
            return redirect(f"{opportunity.get_absolute_url()}#products")
    view = OpportunityDetailView(
        request=request, kwargs={"pk": pk}, object=opportunity, product_form=form
    )
    return render(
        request,
        view.template_name,
        view.get_context_data(object=opportunity),
        status=400,
    )


@require_POST
def opportunity_remove_product(request, pk, line_pk):
    opportunity = record_or_404(selectors.get_opportunity, user=request.user, pk=pk)
    line = selectors.get_opportunity_product(opportunity=opportunity, pk=line_pk)
    if line is None:
        messages.info(request, gettext("That product line was already removed."))
        return redirect(opportunity)
    try:
        services.remove_opportunity_product(
            opportunity=opportunity, by=request.user, line=line
        )
    except ValidationError as error:
        messages.error(request, error_message(error))
    else:
        messages.success(
            request, gettext("%(product)s removed.") % {"product": line.product}
        )
    return redirect(f"{opportunity.get_absolute_url()}#products")
