"""The accounts and contacts resources: list (the pages' FilterSets), retrieve,
create (owned by the caller, as on the pages) and partial update through the
account services. No delete: the pages offer none."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_view

from accounts import selectors, services
from accounts.api.common import RecordViewSet, record_schema
from accounts.api.serializers import (
    AccountSerializer,
    AccountWriteSerializer,
    ContactSerializer,
    ContactWriteSerializer,
)
from accounts.filters import AccountFilter, ContactFilter
from accounts.models import Account, Contact

FILTER_HELP = {
    "q": _("Words that must each match the name, email, phone, number or city."),
    "mine": _("true: only records you own yourself (not your teams')."),
}


@extend_schema_view(
    **record_schema(
        read=AccountSerializer,
        write=AccountWriteSerializer,
        filterset_class=AccountFilter,
        descriptions=FILTER_HELP,
    )
)
class AccountViewSet(RecordViewSet):
    queryset = Account.objects.none()  # the schema's model; reads use the selectors
    serializer_class = AccountSerializer
    write_serializer_class = AccountWriteSerializer
    getter = selectors.get_account
    filterer = selectors.filter_accounts
    orderings = {"name": ("name",), "-name": ("-name",), "id": ("id",), "-id": ("-id",)}
    default_ordering = "name"

    def perform_create(self, fields):
        return services.create_account(owner_user=self.request.user, **fields)

    def perform_update(self, record, *, version, fields):
        return services.update_account(
            account=record, by=self.request.user, expected_version=version, **fields
        )


@extend_schema_view(
    **record_schema(
        read=ContactSerializer,
        write=ContactWriteSerializer,
        filterset_class=ContactFilter,
        descriptions={
            **FILTER_HELP,
            "q": _(
                "Words that must each match the name, email, phones, job title or "
                "account name."
            ),
            "account": _("The account's id: its contacts."),
        },
    )
)
class ContactViewSet(RecordViewSet):
    queryset = Contact.objects.none()
    serializer_class = ContactSerializer
    write_serializer_class = ContactWriteSerializer
    getter = selectors.get_contact
    filterer = selectors.filter_contacts
    orderings = {
        "last_name": ("last_name", "first_name"),
        "-last_name": ("-last_name", "-first_name"),
        "id": ("id",),
        "-id": ("-id",),
    }
    default_ordering = "last_name"

    def perform_create(self, fields):
        return services.create_contact(owner_user=self.request.user, **fields)

    def perform_update(self, record, *, version, fields):
        return services.update_contact(
            contact=record, by=self.request.user, expected_version=version, **fields
        )
