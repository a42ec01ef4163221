"""Admin for email from the record: the templates administrators write (saved
through save_email_template; an unknown placeholder is an error beside its field)
and the log of emails (read-only, in the viewer's scope)."""

from django.contrib import admin

from accounts.admin import ServiceAdminMixin
from leads.admin.common import ReadOnlyAdmin
from leads.forms.emails import EmailTemplateForm
from leads.models import EmailMessage, EmailTemplate
from leads.selectors.timeline import visible_timeline_items
from leads.services.emails import save_email_template


@admin.register(EmailTemplate)
class EmailTemplateAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Switched off (is_active), not deleted: sent emails keep naming it."""

    form = EmailTemplateForm
    list_display = ["name", "subject", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "subject"]

    def _save(self, request, obj, fields):
        for name, value in fields.items():
            setattr(obj, name, value)
        return save_email_template(template=obj, by=request.user)

    def service_create(self, request, obj, fields):
        return self._save(request, obj, fields)

    def service_update(self, request, obj, fields):
        return self._save(request, obj, fields)


@admin.register(EmailMessage)
class EmailMessageAdmin(ReadOnlyAdmin):
    list_display = ["subject", "to_address", "direction", "state", "attempts"]
    list_filter = ["state", "direction"]
    search_fields = ["subject", "to_address", "message_id"]
    readonly_fields = ["failure_reason"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("created_by")
        return visible_timeline_items(user=request.user, queryset=queryset)
