"""Admin for saved list views and default views: read-only (who saved what, shared
with whom). Views are saved, renamed and deleted on the site, through
accounts.services.saved_views; only the owner deletes one."""

from django.contrib import admin

from accounts.admin.common import ReadOnlyAdmin
from accounts.models import DefaultView, SavedView


@admin.register(SavedView)
class SavedViewAdmin(ReadOnlyAdmin):
    list_display = ["name", "list_kind", "owner", "visibility", "team", "business_unit"]
    list_filter = ["list_kind", "visibility"]
    search_fields = ["name", "owner__username", "owner__last_name"]
    list_select_related = ["owner", "team", "business_unit"]
    readonly_fields = [
        "owner", "name", "list_kind", "query", "visibility", "team", "business_unit",
        "created_at", "updated_at",
    ]  # fmt: skip


@admin.register(DefaultView)
class DefaultViewAdmin(ReadOnlyAdmin):
    list_display = ["user", "list_kind", "view"]
    list_filter = ["list_kind"]
    list_select_related = ["user", "view"]
    readonly_fields = ["user", "list_kind", "view"]
