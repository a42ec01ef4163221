from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import DetailView, FormView, ListView
from django_fsm import TransitionNotAllowed

from accounts import selectors, services
from accounts.filters import AccountFilter, ContactFilter, OpportunityFilter
from accounts.forms import (
    AccountForm,
    ContactForm,
    LoseOpportunityForm,
    OpportunityForm,
    OpportunityProductForm,
    WinOpportunityForm,
)
from accounts.models import Account, Contact, Opportunity
from leads.selectors.timeline import timeline_context
from leadsite.versioning import EditConflict, resolve_conflict

# --- helpers -------------------------------------------------------------------------


def add_service_error(form, error: ValidationError) -> None:
    """Show a service's ValidationError beside the fields it names (else on top)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def error_text(error) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "That is not possible now."


def _get_or_404(getter, **kwargs):
    try:
        return getter(**kwargs)
    except (Account.DoesNotExist, Contact.DoesNotExist, Opportunity.DoesNotExist):
        raise Http404("No such record.") from None


class FilteredListView(ListView):
    paginate_by = 50
    filterset_class = None
    selector = None

    def get_queryset(self):
        return type(self).selector(user=self.request.user, filters=self.request.GET)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filterset_class(
            self.request.GET, user=self.request.user
        ).form
        params = self.request.GET.copy()
        params.pop("page", None)
        encoded = params.urlencode()
        context["querystring_prefix"] = f"{encoded}&" if encoded else ""
        context["is_filtered"] = bool(encoded)
        return context


class RecordDetailView(DetailView):
    """Detail page of an owned record: getter(user=, pk=) and a context selector,
    plus the related-records part (timeline, leads) from the leads app."""

    getter = None
    context_selector = None

    def get_object(self, queryset=None):
        return _get_or_404(
            type(self).getter, user=self.request.user, pk=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            type(self).context_selector(
                user=self.request.user, **{self.context_object_name: self.object}
            )
        )
        context.update(timeline_context(user=self.request.user, record=self.object))
        return context


class ServiceFormView(FormView):
    """Create or edit through one service call; service errors become form errors."""

    template_name = "accounts/record_form.html"
    form_class = None
    object = None
    success_message = ""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        if self.object is not None:
            kwargs["instance"] = self.object
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        meta = self.form_class._meta.model._meta
        context.update(
            object=self.object,
            model_meta=meta,
            list_url=reverse(f"accounts:{meta.model_name}-list"),
        )
        return context

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        self.expected_version = data.pop("version", None)
        try:
            obj = self.perform(data)
        except EditConflict as conflict:
            kwargs = {"user": self.request.user}
            merged, rows = resolve_conflict(
                self.form_class, form, conflict.current, **kwargs
            )
            self.object = conflict.current
            return self.render_to_response(
                self.get_context_data(form=merged, conflict_rows=rows)
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message.format(obj=obj))
        return redirect(obj)

    def perform(self, data):
        raise NotImplementedError


def _initial_from_query(request, names):
    return {name: request.GET[name] for name in names if request.GET.get(name)}


# --- accounts ------------------------------------------------------------------------


class AccountListView(FilteredListView):
    template_name = "accounts/account_list.html"
    filterset_class = AccountFilter
    selector = selectors.list_accounts


class AccountDetailView(RecordDetailView):
    template_name = "accounts/account_detail.html"
    context_object_name = "account"
    getter = selectors.get_account
    context_selector = selectors.account_detail_context


class AccountCreateView(ServiceFormView):
    form_class = AccountForm
    success_message = "Account {obj} created."

    def get_initial(self):
        return _initial_from_query(self.request, ["parent_account"])

    def perform(self, data):
        return services.create_account(owner_user=self.request.user, **data)


class AccountUpdateView(ServiceFormView):
    form_class = AccountForm
    success_message = "Account {obj} saved."

    def dispatch(self, request, *args, **kwargs):
        self.object = _get_or_404(
            selectors.get_account, user=request.user, pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def perform(self, data):
        return services.update_account(
            account=self.object,
            by=self.request.user,
            expected_version=self.expected_version,
            **data,
        )


# --- contacts ------------------------------------------------------------------------


class ContactListView(FilteredListView):
    template_name = "accounts/contact_list.html"
    filterset_class = ContactFilter
    selector = selectors.list_contacts


class ContactDetailView(RecordDetailView):
    template_name = "accounts/contact_detail.html"
    context_object_name = "contact"
    getter = selectors.get_contact
    context_selector = selectors.contact_detail_context


class ContactCreateView(ServiceFormView):
    form_class = ContactForm
    success_message = "Contact {obj} created."

    def get_initial(self):
        return _initial_from_query(self.request, ["account"])

    def perform(self, data):
        return services.create_contact(owner_user=self.request.user, **data)


class ContactUpdateView(ServiceFormView):
    form_class = ContactForm
    success_message = "Contact {obj} saved."

    def dispatch(self, request, *args, **kwargs):
        self.object = _get_or_404(
            selectors.get_contact, user=request.user, pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def perform(self, data):
        return services.update_contact(
            contact=self.object,
            by=self.request.user,
            expected_version=self.expected_version,
            **data,
        )


# --- opportunities -------------------------------------------------------------------


class OpportunityListView(FilteredListView):
    template_name = "accounts/opportunity_list.html"
    filterset_class = OpportunityFilter
    selector = selectors.list_opportunities


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
    success_message = "Opportunity {obj} created."

    def get_initial(self):
        return _initial_from_query(self.request, ["account", "contact"])

    def perform(self, data):
        return services.create_opportunity(owner_user=self.request.user, **data)


class OpportunityUpdateView(ServiceFormView):
    form_class = OpportunityForm
    success_message = "Opportunity {obj} saved."

    def dispatch(self, request, *args, **kwargs):
        self.object = _get_or_404(
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
        self.object = _get_or_404(
            selectors.get_opportunity, user=request.user, pk=kwargs["pk"]
        )
        if request.method == "GET" and self.transition not in {
            t.name
            for t in self.object.get_available_user_status_transitions(request.user)
        }:
            messages.error(
                request,
                f"This opportunity is {self.object.get_status_display().lower()}; "
                "it cannot be closed now.",
            )
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
            messages.error(self.request, error_text(error))
        except TransitionNotAllowed as error:
            messages.error(self.request, error_text(error))
        else:
            messages.success(self.request, self.success_message)
        return redirect(self.object)


class OpportunityWinView(OpportunityOutcomeView):
    form_class = WinOpportunityForm
    transition = "win"
    heading = "Close as won"
    success_message = "Opportunity closed as won."

    def get_initial(self):
        return {"actual_value": self.object.estimated_value}

    def perform(self, data):
        services.win_opportunity(opportunity=self.object, by=self.request.user, **data)


class OpportunityLoseView(OpportunityOutcomeView):
    form_class = LoseOpportunityForm
    transition = "lose"
    heading = "Close as lost"
    button_class = "danger"
    success_message = "Opportunity closed as lost."

    def perform(self, data):
        services.lose_opportunity(opportunity=self.object, by=self.request.user, **data)


@require_POST
def opportunity_reopen(request, pk):
    opportunity = _get_or_404(selectors.get_opportunity, user=request.user, pk=pk)
    try:
        services.reopen_opportunity(opportunity=opportunity, by=request.user)
    except (ValidationError, TransitionNotAllowed) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "Opportunity reopened.")
    return redirect(opportunity)


@require_POST
def opportunity_add_product(request, pk):
    opportunity = _get_or_404(selectors.get_opportunity, user=request.user, pk=pk)
    form = OpportunityProductForm(request.POST)
    if form.is_valid():
        try:
            line = services.add_opportunity_product(
                opportunity=opportunity, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, error_text(error))
                return redirect(opportunity)
            add_service_error(form, error)
        else:
            messages.success(request, f"{line.product} added.")
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
    opportunity = _get_or_404(selectors.get_opportunity, user=request.user, pk=pk)
    line = selectors.get_opportunity_product(opportunity=opportunity, pk=line_pk)
    if line is None:
        messages.info(request, "That product line was already removed.")
        return redirect(opportunity)
    try:
        services.remove_opportunity_product(
            opportunity=opportunity, by=request.user, line=line
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"{line.product} removed.")
    return redirect(f"{opportunity.get_absolute_url()}#products")


# --- autocomplete --------------------------------------------------------------------


def _search_text(request) -> str:
    # NUL cannot reach a PostgreSQL text parameter; a tampered one is dropped.
    return request.GET.get("q", "").replace("\x00", "").strip()[:100]


@require_GET
def account_autocomplete(request):
    accounts = selectors.autocomplete_accounts(
        user=request.user,
        q=_search_text(request),
        partner=request.GET.get("partner") == "1",
    )
    options = [(a.pk, f"{a.name} ({a.city})" if a.city else a.name) for a in accounts]
    return render(
        request, "accounts/partials/autocomplete_options.html", {"options": options}
    )


@require_GET
def contact_autocomplete(request):
    contacts = selectors.autocomplete_contacts(
        user=request.user, q=_search_text(request)
    )
    options = [
        (
            c.pk,
            " · ".join(
                p for p in (c.full_name, c.account and c.account.name or c.email) if p
            ),
        )
        for c in contacts
    ]
    return render(
        request, "accounts/partials/autocomplete_options.html", {"options": options}
    )
