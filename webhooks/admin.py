"""Admin for webhooks: subscriptions are added and changed through the services
(the owner is the user adding one); events, deliveries (filter by subscription for
one's log) and their attempts are logs, read only; "Send again" is an action on
deliveries. Subscriptions and deliveries are scoped as on the site."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin.common import ServiceAdminMixin
from accounts.permissions import is_administrator
from leads.admin.common import ReadOnlyAdmin
from leadsite.core.events import EVENT_TYPES
from leadsite.core.forms import formfield_callback
from leadsite.core.services import through
from webhooks import tasks
from webhooks.forms import EVENT_LABELS, FIELDS
from webhooks.models import Attempt, Delivery, Event, Subscription
from webhooks.permissions import visible_subscriptions
from webhooks.services import subscriptions as services


class SubscriptionAdminForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=[(name, EVENT_LABELS[name]) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        label=_("Events"),
    )

    class Meta:
        model = Subscription
        fields = FIELDS
        formfield_callback = formfield_callback


@admin.register(Subscription)
class SubscriptionAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = SubscriptionAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "__str__",
        "url",
        "owner",
        "is_active",
        "pause_reason",
        "failing_since",
        "last_success_at",
        "created_at",
    ]
    list_select_related = ["owner"]
    list_filter = ["is_active", "pause_reason"]
    search_fields = ["url", "description", "owner__username"]
    readonly_fields = [
        "owner",
        "paused_at",
        "pause_reason",
        "failing_since",
        "last_success_at",
        "previous_secret_expires_at",
        "created_at",
    ]
    actions = ["rotate_secrets"]

    def get_fields(self, request, obj=None):
        if obj is None or obj.pk is None:
            return FIELDS
        return [*FIELDS, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None or obj.pk is None else self.readonly_fields

    def get_queryset(self, request):
        return visible_subscriptions(request.user, super().get_queryset(request))

    def service_create(self, request, obj, fields):
        with through("admin"):
            return services.create_subscription(by=request.user, **fields)

    def service_update(self, request, obj, fields, expected_version=None):
        with through("admin"):
            saved = services.update_subscription(
                subscription=obj,
                by=request.user,
                expected_version=expected_version,
                **fields,
            )
        if saved.is_active:
            tasks.wake()
        return saved

    @admin.action(
        description=_("Rotate the signing secret of the selected subscriptions")
    )
    def rotate_secrets(self, request, queryset):
        with through("admin"):
            for subscription in queryset:
                services.rotate_secret(subscription=subscription, by=request.user)
        self.message_user(request, gettext("Secrets rotated."), messages.SUCCESS)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["message_id", "type", "object_type", "object_id", "created_at"]
    list_filter = ["type"]
    search_fields = ["message_id"]
    fields = [
        "message_id",
        "type",
        "object_type",
        "object_id",
        "created_at",
        "dispatched_at",
        "body",
    ]

    def has_view_permission(self, request, obj=None):
        # Bodies hold records of every unit: administrators only.
        return is_administrator(request.user) and super().has_view_permission(
            request, obj
        )


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = ["number", "started_at", "outcome", "status_code", "duration_ms", "error"]
    readonly_fields = fields
    ordering = ["-number"]
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "subscription",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "last_duration_ms",
        "next_attempt_at",
        "created_at",
    ]
    list_select_related = ["subscription", "event"]
    list_filter = ["status", "subscription"]
    fields = [
        "subscription",
        "event",
        "status",
        "attempts",
        "last_attempt_at",
        "last_status_code",
        "last_duration_ms",
        "last_error",
        "next_attempt_at",
        "locked_until",
        "created_at",
        "finished_at",
    ]
    inlines = [AttemptInline]
    actions = ["send_again"]

    def get_queryset(self, request):
        reached = visible_subscriptions(request.user, Subscription.objects.all())
        return super().get_queryset(request).filter(subscription__in=reached)

    def has_send_again_permission(self, request):
        return request.user.has_perm("webhooks.change_subscription")

    @admin.action(
        description=_("Send the selected deliveries again"), permissions=["send_again"]
    )
    def send_again(self, request, queryset):
        sent = 0
        with through("admin"):
            for delivery in queryset.select_related("subscription"):
                try:
                    services.replay_delivery(delivery=delivery, by=request.user)
                except PermissionDenied as error:
                    self.message_user(request, str(error), messages.ERROR)
                else:
                    sent += 1
        tasks.wake()
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.",
                "%(count)d deliveries queued again.",
                sent,
            )
            % {"count": sent},
            messages.SUCCESS,
        )
