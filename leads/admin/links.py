"""Admin for a lead's links: linked accounts and contacts, product interests."""

from django.contrib import admin

from leads.admin.common import _scoped_by_lead
from leads.models import LeadAccount, LeadContact, LeadProduct


class LeadProductInline(admin.TabularInline):
    model = LeadProduct
    extra = 0
    autocomplete_fields = ["product"]
    verbose_name = "product interest"


class LeadAccountInline(admin.TabularInline):
    model = LeadAccount
    extra = 0
    autocomplete_fields = ["account"]
    verbose_name = "linked account"


class LeadContactInline(admin.TabularInline):
    model = LeadContact
    extra = 0
    autocomplete_fields = ["contact"]
    verbose_name = "linked contact"


class LinkAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def get_queryset(self, request):
        return _scoped_by_lead(request, super().get_queryset(request))


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
