"""Admin for campaigns and capture forms."""

from django.contrib import admin

from accounts.admin import ServiceAdminMixin
from leads.admin.consent import CaptureFormPurposeInline
from leads.models import Campaign, CaptureForm
from leads.models.capture import CAPTURE_DEFAULT_FIELDS
from leads.services.capture import save_capture_form


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "source",
        "business_unit",
        "start_date",
        "end_date",
        "cost",
        "is_active",
    ]
    list_select_related = ["business_unit"]
    list_filter = ["is_active", "source", "business_unit"]
    search_fields = ["name"]
    autocomplete_fields = ["business_unit"]


@admin.register(CaptureForm)
class CaptureFormAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Saved through save_capture_form, as by the site's editor; switched off, not
    deleted."""

    list_display = ["name", "business_unit", "campaign", "default_source", "is_active"]
    list_select_related = ["business_unit", "campaign"]
    list_filter = ["is_active", "business_unit"]
    search_fields = ["name"]
    autocomplete_fields = ["business_unit", "campaign"]
    readonly_fields = ["token"]
    # The consents it asks for (leads/admin/consent.py).
    inlines = [CaptureFormPurposeInline]

    def get_changeform_initial_data(self, request):
        # A new form starts with the fields the site's editor offers first.
        return {
            "fields_shown": CAPTURE_DEFAULT_FIELDS
        } | super().get_changeform_initial_data(request)

    def service_create(self, request, obj, fields):
        return save_capture_form(by=request.user, instance=None, data=fields)

    def service_update(self, request, obj, fields):
        return save_capture_form(by=request.user, instance=obj, data=fields)
