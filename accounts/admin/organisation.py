"""Admin for the organisation: business units, users, teams and products."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    BusinessUnit,
    Product,
    Team,
    User,
)
from leadsite.core import locale


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
        (_("Routing"), {"fields": ("available_for_leads", "unavailable_until")}),
        (_("Language and time zone"), {"fields": ("language", "time_zone")}),
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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The user's own settings page offers the same two lists.
        if db_field.name in ("language", "time_zone"):
            choices = (
                locale.language_choices
                if db_field.name == "language"
                else locale.time_zone_choices
            )
            return forms.ChoiceField(
                label=capfirst(db_field.verbose_name),
                choices=choices,
                required=False,
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


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
