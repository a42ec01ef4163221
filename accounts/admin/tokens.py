"""Admin for personal API tokens: created and revoked through the services; the key
is shown once, on the page that answers the add form, and its hash never."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin.common import ServiceAdminMixin
from accounts.models import ApiToken, IdempotencyKey
from accounts.services.tokens import create_api_token, revoke_api_token
from leadsite.core.services import through

ADD_FIELDS = ["user", "name", "scope", "expires_at"]
SHOWN_FIELDS = [
    "user",
    "name",
    "prefix",
    "scope",
    "created_at",
    "last_used_at",
    "expires_at",
    "revoked_at",
]


class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ADD_FIELDS

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at is not None and expires_at <= timezone.now():
            raise ValidationError(gettext("Choose a moment in the future."))
        return expires_at


@admin.register(ApiToken)
class ApiTokenAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = SHOWN_FIELDS
    list_select_related = ["user"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    autocomplete_fields = ["user"]
    date_hierarchy = "created_at"
    actions = ["revoke"]
    form = ApiTokenAddForm

    def get_fields(self, request, obj=None):
        return ADD_FIELDS if obj is None or obj.pk is None else SHOWN_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None or obj.pk is None else SHOWN_FIELDS

    def has_change_permission(self, request, obj=None):
        # Nothing about a token changes but its revocation (the action); revoked
        # tokens stay (no delete, ServiceAdminMixin), so their use can be traced.
        return False

    def has_revoke_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    def service_create(self, request, obj, fields):
        with through("admin"):
            token, key = create_api_token(by=request.user, **fields)
        # For response_add only; never stored, logged or put in a message.
        request.api_token_key = key
        return token

    def service_update(self, request, obj, fields):
        raise ValidationError(
            gettext("An API token cannot be changed; revoke it instead.")
        )

    def response_add(self, request, obj, post_url_continue=None):
        if not hasattr(request, "api_token_key"):  # the service refused
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Copy the new API token now"),
            "token": obj,
            "key": request.api_token_key,
        }
        return TemplateResponse(
            request, "admin/accounts/apitoken/key_created.html", context
        )

    @admin.action(
        description=_("Revoke the selected API tokens"), permissions=["revoke"]
    )
    def revoke(self, request, queryset):
        revoked = 0
        with through("admin"):
            for token in queryset.filter(revoked_at__isnull=True):
                revoke_api_token(token=token, by=request.user)
                revoked += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d API token revoked.", "%(count)d API tokens revoked.", revoked
            )
            % {"count": revoked},
            messages.SUCCESS,
        )


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    """The API's Idempotency-Keys of the last day, read only: who sent which key,
    when, and the status it answered (the body is not shown: it may hold a
    record's data). Written by the API alone; expired keys go when their user
    sends the next."""

    list_display = ["key", "user", "status_code", "created_at"]
    list_select_related = ["user"]
    list_filter = ["status_code", "created_at"]
    search_fields = ["key", "user__username"]
    date_hierarchy = "created_at"
    fields = ["user", "key", "fingerprint", "status_code", "content_type", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
