"""Django admin for business units, users, teams, products, accounts, contacts and
opportunities. Opportunity transitions run through accounts.services."""

import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
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
from leadsite.permissions import scope_q, visible_to

logger = logging.getLogger(__name__)

OWNED_AUTOCOMPLETE = ["owner_user", "owner_team", "business_unit"]


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
        ("Routing", {"fields": ("available_for_leads", "unavailable_until")}),
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
        "available_for_leads",
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
class AccountAdmin(ScopedAdminMixin, admin.ModelAdmin):
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


@admin.register(Contact)
class ContactAdmin(ScopedAdminMixin, admin.ModelAdmin):
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
    model = OpportunityProduct
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(Opportunity)
class OpportunityAdmin(ScopedAdminMixin, ServiceTransitionAdminMixin, admin.ModelAdmin):
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
