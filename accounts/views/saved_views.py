"""Saved views of the four lists (leads, accounts, contacts, opportunities): the
"Views" menu and default view of a list (SavedViewsMixin), saving the list's
current query, and the small page that renames, deletes and picks defaults.

A view is the list's query string: its menu links to the list's own URL with it,
so opening a view costs what that URL costs, and the list applies the viewer's
record scope (never the sharer's)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import FormView

from accounts.filters import (
    AccountFilter,
    ContactFilter,
    OpportunityFilter,
    list_params,
    normalise_query,
)
from accounts.forms import RenameSavedViewForm, SavedViewForm
from accounts.models import LIST_URL_NAMES, ListKind, SavedView
from accounts.selectors import get_saved_view, list_saved_views
from accounts.services import saved_views as services
from accounts.views.common import add_service_error
from leadsite.core.errors import error_message

# The lists' own views, first in the menu: (label, query string); the first one is
# what the list shows when its URL carries no query and the user has no default.
# "q=" names a filter (so no default view applies) and narrows nothing.
SYSTEM_VIEWS = {
    ListKind.ACCOUNTS: [(_("All accounts"), "q="), (_("My accounts"), "mine=on")],
    ListKind.CONTACTS: [(_("All contacts"), "q="), (_("My contacts"), "mine=on")],
    ListKind.OPPORTUNITIES: [
        (_("Open opportunities"), "state=0"),
        (_("My open opportunities"), "mine=on&state=0"),
        (_("Won"), "state=1"),
        (_("Lost"), "state=2"),
        (_("All opportunities"), "state="),
    ],
}
# The FilterSets of this app's lists (the lead list's is handed in by leads/urls.py).
FILTERSETS = {
    ListKind.ACCOUNTS: AccountFilter,
    ListKind.CONTACTS: ContactFilter,
    ListKind.OPPORTUNITIES: OpportunityFilter,
}


def list_url(list_kind: str, query: str = "") -> str:
    url = reverse(LIST_URL_NAMES[list_kind])
    return f"{url}?{query}" if query else url


class SavedViewsMixin:
    """For a list view: its "Views" menu (context `views_menu`, markup in
    templates/partials/saved_views_menu.html) and, when the URL carries no query,
    a redirect to the user's default view of the list. One query for both."""

    list_kind: str = ""
    filterset_class = None
    system_views: list[tuple[str, str]] = []

    def get(self, request, *args, **kwargs):
        self.saved_views = list_saved_views(user=request.user, list_kind=self.list_kind)
        if not request.GET:
            default = next((v for v in self.saved_views if v.is_default), None)
            if default is not None and default.query:
                return HttpResponseRedirect(list_url(self.list_kind, default.query))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["views_menu"] = self.views_menu()
        return context

    def views_menu(self) -> dict:
        params = list_params(self.filterset_class)
        current = normalise_query(self.request.GET.urlencode(), params)
        system = self.system_views or SYSTEM_VIEWS[self.list_kind]
        if not self.request.GET:
            current = normalise_query(system[0][1], params)
        user = self.request.user

        def entry(label, query, view=None):
            query = normalise_query(query, params)
            return {
                "label": label,
                "url": list_url(self.list_kind, query),
                "active": query == current,
                "view": view,
            }

        menu = {
            "system": [entry(label, query) for label, query in system],
            "mine": [
                entry(v.name, v.query, v)
                for v in self.saved_views
                if v.owner_id == user.pk
            ],
            "shared": [
                entry(v.name, v.query, v)
                for v in self.saved_views
                if v.owner_id != user.pk
            ],
            "save_url": _save_url(self.list_kind, self.request.GET),
            "manage_url": f"{reverse('accounts:saved-views')}?list={self.list_kind}",
        }
        active = [
            e
            for part in ("mine", "shared", "system")
            for e in menu[part]
            if e["active"]
        ]
        menu["current"] = active[0]["label"] if active else ""
        return menu


def _save_url(list_kind: str, params) -> str:
    name = (
        "leads:view-create" if list_kind == ListKind.LEADS else "accounts:view-create"
    )
    kwargs = {} if list_kind == ListKind.LEADS else {"list_kind": list_kind}
    query = params.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    url = reverse(name, kwargs=kwargs)
    return f"{url}?{encoded}" if encoded else url


class SavedViewCreateView(FormView):
    """Save the list's query (the GET query of this page) as a view."""

    template_name = "accounts/saved_view_form.html"
    form_class = SavedViewForm
    list_kind: str = ""
    filterset_class = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if "list_kind" in kwargs:
            self.list_kind = kwargs["list_kind"]
            self.filterset_class = FILTERSETS.get(self.list_kind)
        if self.filterset_class is None:
            raise Http404("No such list.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, params=list_params(self.filterset_class))
        return kwargs

    def get_initial(self):
        return {"query": self.request.GET.urlencode()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        query = normalise_query(
            form["query"].value() or "", list_params(self.filterset_class)
        )
        context.update(
            list_label=ListKind(self.list_kind).label,
            list_url=list_url(self.list_kind, query),
            kept=_kept_labels(query, self.filterset_class),
            can_share=len(form.fields["share_with"].choices) > 1,
        )
        return context

    def form_valid(self, form):
        try:
            view = services.save_view(
                by=self.request.user,
                list_kind=self.list_kind,
                name=form.cleaned_data["name"],
                query=form.cleaned_data["query"],
                make_default=form.cleaned_data["make_default"],
                **form.sharing(),
            )
        except PermissionDenied as refusal:
            form.add_error("share_with", str(refusal))
            return self.form_invalid(form)
        except ValidationError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request, gettext("View “%(name)s” saved.") % {"name": view.name}
        )
        return redirect(list_url(self.list_kind, view.query))


def _kept_labels(query: str, filterset_class) -> list[str]:
    """The labels of the filters a query sets, e.g. ["Status reason", "Sort"]."""
    filters = filterset_class.base_filters
    labels = []
    for key in QueryDict(query):
        name = key if key in filters else key.rsplit("_", 1)[0]
        label = str(filters[name].label or name) if name in filters else key
        if label not in labels:
            labels.append(label)
    return labels


def _view_or_404(request, pk, *, own=False) -> SavedView:
    try:
        return get_saved_view(user=request.user, pk=pk, own=own)
    except SavedView.DoesNotExist:
        raise Http404("No such view.") from None


@require_GET
def saved_view_open(request, pk):
    """A view's own address (the manage page links it): the list's URL with the
    view's query."""
    view = _view_or_404(request, pk)
    return HttpResponseRedirect(list_url(view.list_kind, view.query))


@require_GET
def saved_views(request):
    """The user's views and those shared with them, by list (?list= narrows it)."""
    views = list_saved_views(user=request.user)
    only = request.GET.get("list")
    if only in ListKind.values:
        views = [view for view in views if view.list_kind == only]
    groups = []
    for kind in ListKind:
        rows = [v for v in views if v.list_kind == kind]
        if rows or only == kind:
            for view in rows:
                view.url = list_url(kind, view.query)
            groups.append({"kind": kind, "label": kind.label, "views": rows})
    return render(
        request,
        "accounts/saved_view_list.html",
        {
            "groups": groups,
            "only": only if only in ListKind.values else "",
            "list_kinds": ListKind.choices,
        },
    )


def _back(request, view) -> HttpResponseRedirect:
    return redirect(f"{reverse('accounts:saved-views')}?list={view.list_kind}")


@require_POST
def saved_view_rename(request, pk):
    view = _view_or_404(request, pk, own=True)
    form = RenameSavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, gettext("Give the view a name of at most 80 characters.")
        )
        return _back(request, view)
    try:
        services.rename_saved_view(
            view=view, name=form.cleaned_data["name"], by=request.user
        )
    except ValidationError as error:
        messages.error(request, error_message(error))
    else:
        messages.success(
            request, gettext("View renamed to “%(name)s”.") % {"name": view.name}
        )
    return _back(request, view)


@require_POST
def saved_view_delete(request, pk):
    view = _view_or_404(request, pk, own=True)
    services.delete_saved_view(view=view, by=request.user)
    messages.success(request, gettext("View “%(name)s” deleted.") % {"name": view.name})
    return _back(request, view)


@require_POST
def saved_view_default(request, pk):
    """Make the view the user's default of its list, or (with "clear") stop it
    being the default: the list opens on its own default again."""
    view = _view_or_404(request, pk)
    if request.POST.get("clear"):
        services.clear_default_view(list_kind=view.list_kind, by=request.user)
        messages.success(
            request,
            gettext("%(list)s open on their usual view again.")
            % {"list": ListKind(view.list_kind).label},
        )
    else:
        services.set_default_view(view=view, by=request.user)
        messages.success(
            request,
            gettext("%(list)s now open on “%(name)s”.")
            % {"list": ListKind(view.list_kind).label, "name": view.name},
        )
    return _back(request, view)
