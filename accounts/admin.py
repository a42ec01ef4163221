"""Django admin for business units, users, teams, products, accounts, contacts and
opportunities. Opportunity transitions run through accounts.services."""

import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpResponseRedirect
from django.utils import timezone
from django_fsm import TransitionNotAllowed
from django_fsm.admin import FSMAdminMixin

from accounts.models import (
    OPPORTUNITY_LOST_REASONS,
    Account,
    BusinessUnit,
    Contact,
    Opportunity,
    OpportunityProduct,
    OpportunityStatus,
    Product,
    Team,
    User,
)
from accounts.services import (
    add_opportunity_product,
    create_account,
    create_contact,
    create_opportunity,
    remove_opportunity_product,
    update_account,
    update_contact,
    update_opportunity,
)
from leadsite.permissions import scope_q, visible_to

logger = logging.getLogger(__name__)

OWNED_AUTOCOMPLETE = ["owner_user", "owner_team", "business_unit"]


class OwnedServiceAdminMixin:
    """Owner fields are set on add; afterwards they are read-only (there is no
    reassignment service for customer records yet)."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk:
            fields += [name for name in OWNED_AUTOCOMPLETE if name not in fields]
        return fields


class ScopedAdminMixin:
    """Owned records in the admin go through the same record-scope gate as the site."""

    # Websites typed without a scheme are https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request))


class ServiceTransitionAdminMixin(FSMAdminMixin):
    """FSM buttons whose transitions run through a service instead of `obj.save()`.

    `fsm_services` maps a transition name to the name of a method of this admin taking
    (request, obj, **form_data); the service call does the locking, the side effects
    and the save. Domain refusals (ValidationError, TransitionNotAllowed) become error
    messages, never a 500.
    """

    fsm_services: dict[str, str] = {}

    def fsm_transition_view(self, request, object_id, transition_name, **kwargs):
        obj = self.get_object(request, object_id)
        if obj is not None and not self.has_change_permission(request, obj):
            raise PermissionDenied
        return super().fsm_transition_view(
            request, object_id, transition_name, **kwargs
        )

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None):
        method_name = self.fsm_services.get(transition_name)
        if method_name is None:
            return super()._apply_fsm_transition(
                obj=obj, transition_name=transition_name, request=request, kwargs=kwargs
            )
        transition = self._get_fsm_transition_by_name(
            obj=obj, transition_name=transition_name
        )
        label = self.get_fsm_label(transition)
        try:
            getattr(self, method_name)(request, obj, **(kwargs or {}))
        except TransitionNotAllowed:
            messages.error(request, f"“{label}” is not allowed in the current state.")
            return False
        except ValidationError as err:
            messages.error(request, " ".join(err.messages))
            return False
        except Exception:
            # As django_fsm's own admin does: log it, tell the user, no 500 page.
            logger.exception("Admin transition %s failed", transition_name)
            messages.error(
                request, f"“{label}” failed unexpectedly; see the server log."
            )
            return False
        messages.success(request, f"{label}: done.")
        return True


class ServiceAdminMixin:
    """Admin add/change/delete through the write services, never a bare ``save()``.

    Subclasses implement ``service_create(request, obj, fields)`` and
    ``service_update(request, obj, fields)`` (``fields``: the form's model fields,
    all on add, the changed ones on change), each returning the saved instance. A
    refusal the form could not foresee (a concurrent close, a business rule) becomes
    an error message and the page stays where it was; nothing is written. Deleting
    is off: records are closed through their transitions, not deleted.
    """

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        names = form.changed_data if change else list(form.cleaned_data)
        concrete = {f.name for f in obj._meta.concrete_fields}
        fields = {
            name: getattr(obj, name)
            for name in names
            if name in concrete and name not in self.get_readonly_fields(request, obj)
        }
        try:
            if change:
                saved = self.service_update(request, obj, fields) if fields else obj
            else:
                saved = self.service_create(request, obj, fields)
        except ValidationError as err:
            self._refuse(request, err)
            return
        obj.__dict__.update(saved.__dict__)

    def save_related(self, request, form, formsets, change):
        if getattr(request, "_service_refused", False):
            return
        try:
            super().save_related(request, form, formsets, change)
        except ValidationError as err:
            self._refuse(request, err)

    def _refuse(self, request, err):
        # The admin's change view runs in one transaction: undo what went before.
        transaction.set_rollback(True)
        messages.error(request, " ".join(err.messages))
        request._service_refused = True

    def log_addition(self, request, obj, message):
        if not getattr(request, "_service_refused", False):
            return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if not getattr(request, "_service_refused", False):
            return super().log_change(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_service_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "_service_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)


# --- Organisation ------------------------------------------------------------------


@admin.register(BusinessUnit)
class BusinessUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "default_owner"]
    list_select_related = ["parent", "default_owner"]
    search_fields = ["name"]
    autocomplete_fields = ["parent", "default_owner"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("LeadSite", {"fields": ("business_unit", "lead_capacity")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("LeadSite", {"fields": ("business_unit", "lead_capacity")}),
    )
    list_display = [
        "username",
        "first_name",
        "last_name",
        "email",
        "business_unit",
        "lead_capacity",
        "is_active",
        "is_staff",
    ]
    list_select_related = ["business_unit"]
    list_filter = [*DjangoUserAdmin.list_filter, "business_unit"]
    autocomplete_fields = ["business_unit"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "business_unit"]
    list_select_related = ["business_unit"]
    list_filter = ["business_unit"]
    search_fields = ["name"]
    autocomplete_fields = ["business_unit", "members"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "product_number", "price", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "product_number"]


# --- Customers ---------------------------------------------------------------------


@admin.register(Account)
class AccountAdmin(
    ScopedAdminMixin, OwnedServiceAdminMixin, ServiceAdminMixin, admin.ModelAdmin
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

    def service_update(self, request, obj, fields):
        return update_account(account=obj, by=request.user, **fields)


@admin.register(Contact)
class ContactAdmin(
    ScopedAdminMixin, OwnedServiceAdminMixin, ServiceAdminMixin, admin.ModelAdmin
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

    def service_update(self, request, obj, fields):
        return update_contact(contact=obj, by=request.user, **fields)


# --- Opportunities -----------------------------------------------------------------


class WinOpportunityForm(forms.Form):
    actual_value = forms.DecimalField(
        label="Actual revenue", max_digits=19, decimal_places=2, min_value=0
    )
    actual_close_date = forms.DateField(
        label="Actual close date", initial=timezone.localdate
    )


class LoseOpportunityForm(forms.Form):
    reason = forms.TypedChoiceField(
        label="Status reason",
        coerce=int,
        choices=[(int(r), r.label) for r in OPPORTUNITY_LOST_REASONS],
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class OpportunityProductInline(admin.TabularInline):
    """Lines are added and removed through the opportunity services; an existing
    line is read-only (remove it and add it again to change it)."""

    model = OpportunityProduct
    extra = 0
    autocomplete_fields = ["product"]

    def has_add_permission(self, request, obj=None):
        return obj is None or obj.is_open

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.is_open

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.is_open


@admin.register(Opportunity)
class OpportunityAdmin(
    ScopedAdminMixin,
    OwnedServiceAdminMixin,
    ServiceAdminMixin,
    ServiceTransitionAdminMixin,
    admin.ModelAdmin,
):
    fsm_fields = ["status"]
    fsm_forms = {"win": WinOpportunityForm, "lose": LoseOpportunityForm}
    fsm_services = {
        "win": "_win",
        "lose": "_lose",
        "reopen": "_reopen",
    }
    list_display = [
        "name",
        "account",
        "contact",
        "estimated_value",
        "estimated_close_date",
        "state",
        "status",
        "owner_user",
        "owner_team",
        "business_unit",
    ]
    list_select_related = [
        "account",
        "contact",
        "owner_user",
        "owner_team",
        "business_unit",
    ]
    list_filter = ["state", "status", "business_unit"]
    search_fields = ["name"]
    autocomplete_fields = [*OWNED_AUTOCOMPLETE, "account", "contact"]
    readonly_fields = [
        "state",
        "actual_value",
        "actual_close_date",
        "closed_at",
        "created_at",
        "modified_at",
    ]
    inlines = [OpportunityProductInline]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk and not obj.is_open:
            # Closed (won or lost) opportunities are read-only until reopened.
            fields += [f for f in self.get_form(request).base_fields if f not in fields]
        return fields

    def service_create(self, request, obj, fields):
        return create_opportunity(**fields)

    def service_update(self, request, obj, fields):
        return update_opportunity(opportunity=obj, by=request.user, **fields)

    def save_formset(self, request, form, formset, change):
        opportunity = form.instance
        formset.save(commit=False)
        for line in formset.deleted_objects:
            remove_opportunity_product(
                opportunity=opportunity, by=request.user, line=line
            )
        for line, _changed in formset.changed_objects:
            remove_opportunity_product(
                opportunity=opportunity, by=request.user, line=line
            )
        for line in [*formset.new_objects, *(c[0] for c in formset.changed_objects)]:
            add_opportunity_product(
                opportunity=opportunity,
                by=request.user,
                product=line.product,
                quantity=line.quantity,
                price_per_unit=line.price_per_unit,
                note=line.note,
            )

    def _win(self, request, obj, *, actual_value, actual_close_date):
        from accounts.services import win_opportunity

        win_opportunity(
            opportunity=obj,
            by=request.user,
            actual_value=actual_value,
            actual_close_date=actual_close_date,
        )

    def _lose(self, request, obj, *, reason, description=""):
        from accounts.services import lose_opportunity

        lose_opportunity(
            opportunity=obj,
            by=request.user,
            reason=OpportunityStatus(reason),
            description=description,
        )

    def _reopen(self, request, obj):
        from accounts.services import reopen_opportunity

        reopen_opportunity(opportunity=obj, by=request.user)


@admin.register(OpportunityProduct)
class OpportunityProductAdmin(admin.ModelAdmin):
    list_display = ["opportunity", "product", "quantity", "price_per_unit"]
    list_select_related = ["opportunity", "product"]
    search_fields = ["opportunity__name", "product__name"]
    autocomplete_fields = ["opportunity", "product"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        scope = scope_q(request.user, prefix="opportunity__")
        return queryset if scope is None else queryset.filter(scope)
