"""What the account, contact and opportunity pages share: list, detail and
service-form views, and mapping a service refusal onto the form."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import DetailView, FormView, ListView

from accounts.models import Account, Contact, Opportunity
from accounts.selectors import changes_context
from leadsite.core.filter_chips import filter_chips
from leadsite.core.pagination import paginate
from leadsite.core.versioning import EditConflict, resolve_conflict


def add_service_error(form, error: ValidationError) -> None:
    """Show a service's ValidationError beside the fields it names (else on top)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def record_or_404(getter, **kwargs):
    try:
        return getter(**kwargs)
    except (Account.DoesNotExist, Contact.DoesNotExist, Opportunity.DoesNotExist):
        raise Http404("No such record.") from None


class FilteredListView(ListView):
    filterset_class = None
    selector = None
    rows = None  # narrows the queryset to the columns the rows show

    def filters(self):
        """The query's filters, or the list's default view when it names none."""
        return self.filterset_class.with_defaults(self.request.GET)

    def get_queryset(self):
        queryset = type(self).selector(user=self.request.user, filters=self.filters())
        return type(self).rows(queryset) if type(self).rows else queryset

    def get_context_data(self, **kwargs):
        # The shared paginator (no COUNT of the whole table), as on the lead list.
        page = paginate(self.request, self.object_list)
        kwargs.update(page=page, object_list=page.object_list)
        context = super().get_context_data(**kwargs)
        filters = self.filters()
        context["filter_form"] = self.filterset_class(
            filters, user=self.request.user
        ).form
        context["default_view"] = filters is not self.request.GET
        context["filter_form"].is_valid()
        context["chips"] = filter_chips(context["filter_form"], self.request.GET)
        params = self.request.GET.copy()
        params.pop("page", None)
        encoded = params.urlencode()
        context["querystring_prefix"] = f"{encoded}&" if encoded else ""
        # "?state=" (all states) names a filter but narrows nothing.
        context["is_filtered"] = any(value for _, value in params.items())
        return context


class RecordDetailView(DetailView):
    """Detail page of an owned record: getter(user=, pk=) and a context selector,
    (the leads app's part, timeline and linked leads, is the template tag
    record_timeline)."""

    getter = None
    context_selector = None

    def get_object(self, queryset=None):
        return record_or_404(
            type(self).getter, user=self.request.user, pk=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            type(self).context_selector(
                user=self.request.user, **{self.context_object_name: self.object}
            )
        )
        context.update(changes_context(user=self.request.user, record=self.object))
        return context


class ServiceFormView(FormView):
    """Create or edit through one service call; service errors become form errors."""

    template_name = "accounts/record_form.html"
    form_class = None
    object = None
    # A (lazy) message with %(obj)s: the saved record.
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
        messages.success(self.request, self.success_message % {"obj": obj})
        return redirect(obj)

    def perform(self, data):
        raise NotImplementedError


def initial_from_query(request, names):
    return {name: request.GET[name] for name in names if request.GET.get(name)}
