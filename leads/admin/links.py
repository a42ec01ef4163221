"""Admin for a lead's links: linked accounts and contacts, product interests."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from leads.admin.common import _scoped_by_lead
from leads.models import LeadAccount, LeadContact, LeadProduct
from leads.services.links import (
    add_interest,
    link_account,
    link_contact,
    remove_interest,
    unlink_account,
    unlink_contact,
)
from leadsite.core.errors import error_message


def _add_link(*, lead, item, by):
    if isinstance(item, LeadAccount):
        link_account(lead=lead, account=item.account, by=by)
    elif isinstance(item, LeadContact):
        link_contact(lead=lead, contact=item.contact, by=by)
    else:
        add_interest(
            lead=lead,
            product=item.product,
            by=by,
            quantity=item.quantity,
            note=item.note,
        )


def _remove_link(*, lead, item, by):
    if isinstance(item, LeadAccount):
        unlink_account(lead=lead, account=item.account, by=by)
    elif isinstance(item, LeadContact):
        unlink_contact(lead=lead, contact=item.contact, by=by)
    else:
        remove_interest(lead=lead, interest=item, by=by)


def save_links_formset(request, lead, formset):
    """A lead's link inlines through the link services (closed leads refused there).

    A changed row is the old link removed and the new one added.
    """
    formset.save(commit=False)
    by = request.user
    for item in formset.deleted_objects:
        _remove_link(lead=lead, item=item, by=by)
    for item, _fields in formset.changed_objects:
        _remove_link(lead=lead, item=type(item).objects.get(pk=item.pk), by=by)
        _add_link(lead=lead, item=item, by=by)
    for item in formset.new_objects:
        _add_link(lead=lead, item=item, by=by)


class OpenLeadInlineMixin:
    """Links of a closed lead are read-only."""

    def has_add_permission(self, request, obj=None):
        return (obj is None or obj.is_editable) and super().has_add_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.is_editable) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.is_editable) and super().has_delete_permission(
            request, obj
        )


class LeadProductInline(OpenLeadInlineMixin, admin.TabularInline):
    model = LeadProduct
    extra = 0
    autocomplete_fields = ["product"]
    verbose_name = _("product interest")
    verbose_name_plural = _("product interests")


class LeadAccountInline(OpenLeadInlineMixin, admin.TabularInline):
    model = LeadAccount
    extra = 0
    autocomplete_fields = ["account"]
    verbose_name = _("linked account")
    verbose_name_plural = _("linked accounts")


class LeadContactInline(OpenLeadInlineMixin, admin.TabularInline):
    model = LeadContact
    extra = 0
    autocomplete_fields = ["contact"]
    verbose_name = _("linked contact")
    verbose_name_plural = _("linked contacts")


class LinkAdmin(admin.ModelAdmin):
    """Links are added and removed through the link services; a link is never
    edited in place (remove it and add another)."""

    show_full_result_count = False

    def get_queryset(self, request):
        return _scoped_by_lead(request, super().get_queryset(request))

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A closed lead's links stay as they are, as in the inlines; the delete page
        # and the delete action ask this for each link.
        return (obj is None or obj.lead.is_editable) and super().has_delete_permission(
            request, obj
        )

    def save_model(self, request, obj, form, change):
        try:
            _add_link(lead=obj.lead, item=obj, by=request.user)
        except ValidationError as error:
            # A closed lead (LeadClosed): its message, nothing added, no 500.
            messages.error(request, error_message(error))
            request._service_refused = True
            return
        obj.pk = (
            type(obj)
            .objects.values_list("pk", flat=True)
            .get(**{"lead": obj.lead, **self._target(obj)})
        )

    def log_addition(self, request, obj, message):
        if not getattr(request, "_service_refused", False):
            return super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_service_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def delete_model(self, request, obj):
        _remove_link(lead=obj.lead, item=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("lead"):
            self.delete_model(request, obj)

    @staticmethod
    def _target(obj):
        for name in ("account", "contact", "product"):
            if hasattr(obj, f"{name}_id"):
                return {name: getattr(obj, name)}
        raise TypeError(type(obj).__name__)


@admin.register(LeadAccount)
class LeadAccountAdmin(LinkAdmin):
    list_display = ["lead", "account", "created_at"]
    list_select_related = ["lead", "account"]
    search_fields = ["account__name", "lead__last_name"]
    autocomplete_fields = ["lead", "account"]


@admin.register(LeadContact)
class LeadContactAdmin(LinkAdmin):
    list_display = ["lead", "contact", "created_at"]
    list_select_related = ["lead", "contact"]
    search_fields = ["contact__last_name", "lead__last_name"]
    autocomplete_fields = ["lead", "contact"]


@admin.register(LeadProduct)
class LeadProductAdmin(LinkAdmin):
    list_display = ["lead", "product", "quantity"]
    list_select_related = ["lead", "product"]
    list_filter = ["product"]
    search_fields = ["product__name", "lead__last_name"]
    autocomplete_fields = ["lead", "product"]
