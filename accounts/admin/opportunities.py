"""Admin for opportunities: change form, product lines and the outcome transitions,
all through accounts.services."""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin.common import (
    OWNED_AUTOCOMPLETE,
    OwnedServiceAdminMixin,
    ReadOnlyAdmin,
    ScopedAdminMixin,
    ScopedHistoryAdmin,
    ServiceAdminMixin,
    ServiceTransitionAdminMixin,
)
from accounts.models import (
    OPPORTUNITY_LOST_REASONS,
    Opportunity,
    OpportunityProduct,
    OpportunityStatus,
    StageStep,
    StageVisit,
    StepCheck,
)
from accounts.permissions import scope_q
from accounts.services import (
    add_opportunity_product,
    create_opportunity,
    lose_opportunity,
    remove_opportunity_product,
    reopen_opportunity,
    update_opportunity,
    win_opportunity,
)
from accounts.services import stages as stage_services


class WinOpportunityForm(forms.Form):
    actual_value = forms.DecimalField(
        label=_("Actual revenue"), max_digits=19, decimal_places=2, min_value=0
    )
    actual_close_date = forms.DateField(
        label=_("Actual close date"), initial=timezone.localdate
    )


class LoseOpportunityForm(forms.Form):
    reason = forms.TypedChoiceField(
        label=_("Status reason"),
        coerce=int,
        choices=[(int(r), r.label) for r in OPPORTUNITY_LOST_REASONS],
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
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
    ScopedHistoryAdmin,
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

    def service_update(self, request, obj, fields, expected_version=None):
        return update_opportunity(
            opportunity=obj,
            by=request.user,
            expected_version=expected_version,
            **fields,
        )

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
        win_opportunity(
            opportunity=obj,
            by=request.user,
            actual_value=actual_value,
            actual_close_date=actual_close_date,
        )

    def _lose(self, request, obj, *, reason, description=""):
        lose_opportunity(
            opportunity=obj,
            by=request.user,
            reason=OpportunityStatus(reason),
            description=description,
        )

    def _reopen(self, request, obj):
        reopen_opportunity(opportunity=obj, by=request.user)


@admin.register(OpportunityProduct)
class OpportunityProductAdmin(admin.ModelAdmin):
    """Product lines, read-only: they are added and removed on their opportunity
    (its inline calls add_opportunity_product / remove_opportunity_product, which
    refuse a closed opportunity)."""

    list_display = ["opportunity", "product", "quantity", "price_per_unit"]
    list_select_related = ["opportunity", "product"]
    search_fields = ["opportunity__name", "product__name"]
    autocomplete_fields = ["opportunity", "product"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        scope = scope_q(request.user, prefix="opportunity__")
        return queryset if scope is None else queryset.filter(scope)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StageStep)
class StageStepAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """The steps of each stage (the stage bar): administrators add them, name the
    lead or opportunity field that completes one (empty: a checklist item), and mark
    those that must be complete before the record moves on."""

    list_display = ["name", "process", "stage", "field", "required", "position"]
    list_filter = ["process", "stage", "required"]
    ordering = ["process", "stage", "position", "id"]

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("accounts.delete_stagestep")

    def service_create(self, request, obj, fields):
        return stage_services.create_stage_step(by=request.user, **fields)

    def service_update(self, request, obj, fields):
        return stage_services.update_stage_step(step=obj, by=request.user, **fields)

    def delete_model(self, request, obj):
        stage_services.delete_stage_step(step=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for step in queryset:
            stage_services.delete_stage_step(step=step, by=request.user)


class _ReadOnlyLog(ReadOnlyAdmin):
    """Written by the stage bar's services only; here to read."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("opportunity")
        scope = scope_q(request.user, prefix="opportunity__")
        return queryset if scope is None else queryset.filter(scope)


@admin.register(StageVisit)
class StageVisitAdmin(_ReadOnlyLog):
    list_display = ["opportunity", "stage", "entered_at", "left_at"]
    list_filter = ["stage"]


@admin.register(StepCheck)
class StepCheckAdmin(_ReadOnlyLog):
    list_display = ["opportunity", "step", "checked_by", "checked_at"]
    list_select_related = ["opportunity", "step", "checked_by"]
