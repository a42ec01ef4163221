"""Admin for receiving mail: the inbound aliases (saved through save_mail_alias;
the IMAP password write-only) and the log of every inbound message (read-only)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ServiceAdminMixin
from leads.admin.common import ReadOnlyAdmin
from leads.forms.inbound import MailAliasForm
from leads.models import InboundMessage, MailAlias
from leads.services.inbound import save_mail_alias


@admin.register(MailAlias)
class MailAliasAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Switched off (is_active), not deleted: the log keeps naming it."""

    form = MailAliasForm
    list_display = [
        "address",
        "business_unit",
        "capture_form",
        "imap_host",
        "is_active",
        "last_polled_at",
        "last_error",
    ]
    list_select_related = ["business_unit", "capture_form"]
    list_filter = ["is_active"]
    search_fields = ["address", "imap_host"]
    readonly_fields = ["last_polled_at", "last_error"]
    fieldsets = [
        (None, {"fields": ["address", "business_unit", "capture_form", "is_active"]}),
        (
            _(
                "IMAP mailbox (leave the host blank for an alias that receives by "
                "a provider's webhook)"
            ),
            {
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_tls",
                    "imap_username",
                    "imap_password",
                    "imap_folder",
                    "last_polled_at",
                    "last_error",
                ]
            },
        ),
    ]

    def service_create(self, request, obj, fields):
        return save_mail_alias(by=request.user, instance=None, data=fields)

    def service_update(self, request, obj, fields):
        return save_mail_alias(by=request.user, instance=obj, data=fields)


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "received_at",
        "sender",
        "subject",
        "alias",
        "transport",
        "outcome",
        "lead",
    ]
    list_select_related = ["alias", "lead"]
    list_filter = ["outcome", "transport", "alias"]
    search_fields = ["sender", "subject", "message_id"]
    date_hierarchy = "received_at"
