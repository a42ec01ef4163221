"""Admin for the privacy app: legal holds are set through the service (the one
setting it is the user) and released by an action; the access and erasure logs
are read only. Privacy officers and administrators hold these permissions."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin.common import ReadOnlyAdmin, ServiceAdminMixin
from privacy.models import AccessRequest, Erasure, LegalHold
from privacy.services.holds import release_legal_hold, set_legal_hold


class ActiveFilter(admin.SimpleListFilter):
    title = _("active")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Active")), ("no", _("Released"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(released_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(released_at__isnull=False)
        return queryset


@admin.register(LegalHold)
class LegalHoldAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "lead", "contact", "set_by", "set_at", "released_at"]
    list_select_related = ["lead", "contact", "set_by"]
    list_filter = [ActiveFilter]
    raw_id_fields = ["lead", "contact"]
    search_fields = ["reason"]
    actions = ["release"]

    def get_readonly_fields(self, request, obj=None):
        logged = ["set_by", "set_at", "released_by", "released_at"]
        if obj is None or obj.pk is None:
            return logged
        return ["lead", "contact", "reason", *logged]

    def get_fields(self, request, obj=None):
        return [
            "lead",
            "contact",
            "reason",
            "set_by",
            "set_at",
            "released_by",
            "released_at",
        ]

    def service_create(self, request, obj, fields):
        record = fields.get("lead") or fields.get("contact")
        if record is None or (fields.get("lead") and fields.get("contact")):
            raise ValidationError(gettext("Choose one lead or one contact."))
        return set_legal_hold(
            record=record, reason=fields.get("reason", ""), by=request.user
        )

    def service_update(self, request, obj, fields, expected_version=None):
        return obj  # a hold changes only by its release

    @admin.action(description=_("Release the selected holds"))
    def release(self, request, queryset):
        released = 0
        for hold in queryset.filter(released_at__isnull=True):
            release_legal_hold(hold=hold, by=request.user)
            released += 1
        self.message_user(
            request,
            ngettext("%(count)s hold released.", "%(count)s holds released.", released)
            % {"count": released},
            messages.SUCCESS,
        )


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "requested_by", "person", "item_count", "size"]
    list_select_related = ["requested_by"]
    date_hierarchy = "requested_at"


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "erased_at",
        "erased_by",
        "status",
        "lead_ids",
        "contact_ids",
    ]
    list_select_related = ["erased_by"]
    list_filter = ["status"]
