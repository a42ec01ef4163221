"""Admin for customers: accounts and contacts, written through accounts.services."""

from django.contrib import admin

from accounts.admin.common import (
    OWNED_AUTOCOMPLETE,
    OwnedServiceAdminMixin,
    ScopedAdminMixin,
    ScopedHistoryAdmin,
    ServiceAdminMixin,
)
from accounts.models import (
    Account,
    Contact,
)
from accounts.services import (
    create_account,
    create_contact,
    update_account,
    update_contact,
)


@admin.register(Account)
class AccountAdmin(
    ScopedAdminMixin, OwnedServiceAdminMixin, ServiceAdminMixin, ScopedHistoryAdmin
):
    list_display = [
        "name",
        "email",
        "phone",
        "city",
        "country",
        "is_partner",
        "owner_user",
        "owner_team",
        "business_unit",
    ]
    list_select_related = ["owner_user", "owner_team", "business_unit"]
    list_filter = ["is_partner", "industry", "business_unit"]
    search_fields = ["name", "email", "phone", "account_number"]
    autocomplete_fields = [*OWNED_AUTOCOMPLETE, "parent_account", "primary_contact"]
    readonly_fields = ["created_at", "modified_at"]
    show_full_result_count = False

    def service_create(self, request, obj, fields):
        return create_account(**fields)

    def service_update(self, request, obj, fields, expected_version=None):
        return update_account(
            account=obj, by=request.user, expected_version=expected_version, **fields
        )


@admin.register(Contact)
class ContactAdmin(
    ScopedAdminMixin, OwnedServiceAdminMixin, ServiceAdminMixin, ScopedHistoryAdmin
):
    list_display = [
        "__str__",
        "email",
        "business_phone",
        "account",
        "owner_user",
        "owner_team",
        "business_unit",
    ]
    list_select_related = ["account", "owner_user", "owner_team", "business_unit"]
    list_filter = ["business_unit"]
    search_fields = ["last_name", "first_name", "email", "business_phone"]
    autocomplete_fields = [*OWNED_AUTOCOMPLETE, "account"]
    readonly_fields = ["created_at", "modified_at"]
    show_full_result_count = False

    def service_create(self, request, obj, fields):
        return create_contact(**fields)

    def service_update(self, request, obj, fields, expected_version=None):
        return update_contact(
            contact=obj, by=request.user, expected_version=expected_version, **fields
        )
