"""Account and contact pages, and their pickers' autocomplete."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts import selectors, services
from accounts.filters import AccountFilter, ContactFilter
from accounts.forms import (
    AccountForm,
    ContactForm,
)
from accounts.models import ListKind
from accounts.views.common import (
    FilteredListView,
    RecordDetailView,
    ServiceFormView,
    initial_from_query,
    record_or_404,
)
from accounts.views.saved_views import SavedViewsMixin


class AccountListView(SavedViewsMixin, FilteredListView):
    list_kind = ListKind.ACCOUNTS
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
    success_message = _("Account %(obj)s created.")

    def get_initial(self):
        return initial_from_query(self.request, ["parent_account"])

    def perform(self, data):
        return services.create_account(owner_user=self.request.user, **data)


class AccountUpdateView(ServiceFormView):
    form_class = AccountForm
    success_message = _("Account %(obj)s saved.")

    def dispatch(self, request, *args, **kwargs):
        self.object = record_or_404(
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


class ContactListView(SavedViewsMixin, FilteredListView):
    list_kind = ListKind.CONTACTS
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
    success_message = _("Contact %(obj)s created.")

    def get_initial(self):
        return initial_from_query(self.request, ["account"])

    def perform(self, data):
        return services.create_contact(owner_user=self.request.user, **data)


class ContactUpdateView(ServiceFormView):
    form_class = ContactForm
    success_message = _("Contact %(obj)s saved.")

    def dispatch(self, request, *args, **kwargs):
        self.object = record_or_404(
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
