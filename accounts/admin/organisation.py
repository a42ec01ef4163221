"""Admin for the organisation: business units, users, teams and products."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import (
    BusinessUnit,
    Product,
    Team,
    User,
)


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
