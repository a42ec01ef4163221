"""Admin for leads: the change form, its inlines and the lifecycle transitions.

Lead transitions run through the lifecycle and qualification services (never a bare
`lead.transition(); lead.save()`); the lead changelist stays cheap on a million rows.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import (
    ScopedAdminMixin,
    ScopedHistoryAdmin,
    ServiceAdminMixin,
    ServiceTransitionAdminMixin,
)
from leads.admin.links import (
    LeadAccountInline,
    LeadContactInline,
    LeadProductInline,
    save_links_formset,
)
from leads.admin.timeline import ActivityInline, AttachmentInline, NoteInline
from leads.forms.lifecycle import DisqualifyLeadForm
from leads.forms.qualification import QualifyChoicesForm
from leads.models import LEAD_FIELD_GROUPS, FormSubmission, Lead, LeadStatus
from leads.services.lifecycle import (
    assign_lead,
    create_lead,
    disqualify_lead,
    mark_contacted,
    reactivate_lead,
    update_lead,
)
from leads.services.qualification import qualify_lead
from leads.services.routing import bulk_route_leads
from leadsite.core.admin_counts import EstimatedCountAdminMixin

OWNER_FIELDS = ("owner_user", "owner_team")


@admin.action(description=_("Route selected leads by the routing rules"))
def route_leads_action(modeladmin, request, queryset):
    """The admin's "route again", through the routing service."""
    result = bulk_route_leads(leads=list(queryset), by=request.user, trigger="admin")
    if result.routed:
        count = len(result.routed)
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)s lead(s) routed; see each lead's log.",
                "%(count)s lead(s) routed; see each lead's log.",
                count,
            )
            % {"count": count},
        )
    for lead, why in result.refused:
        modeladmin.message_user(request, f"{lead}: {why}", level=messages.WARNING)


@admin.register(Lead)
class LeadAdmin(
    EstimatedCountAdminMixin,
    ScopedAdminMixin,
    ServiceAdminMixin,
    ServiceTransitionAdminMixin,
    ScopedHistoryAdmin,
):
    actions = [route_leads_action]
    fsm_fields = ["status"]
    # The site's forms: one definition of what each transition asks.
    fsm_forms = {"qualify": QualifyChoicesForm, "disqualify": DisqualifyLeadForm}
    fsm_services = {
        "mark_contacted": "_mark_contacted",
        "qualify": "_qualify",
        "disqualify": "_disqualify",
        "reactivate": "_reactivate",
    }
    list_display = [
        "__str__",
        "company_name",
        "source",
        "rating",
        "state",
        "status",
        "owner",
        "business_unit",
        "created_at",
    ]
    list_select_related = ["owner_user", "owner_team", "business_unit"]
    list_filter = ["state", "status", "source", "rating", "business_unit"]
    search_fields = ["^last_name", "^company_name", "=email", "subject"]
    autocomplete_fields = [
        "owner_user",
        "owner_team",
        "business_unit",
        "campaign",
        "capture_form",
        "channel_partner",
        "parent_account",
        "parent_contact",
    ]
    readonly_fields = [
        "state",
        "qualified_at",
        "closed_at",
        "first_activity_at",
        "qualifying_account",
        "qualifying_contact",
        "qualifying_opportunity",
        "merged",
        "master",
        "created_by",
        "created_at",
        "modified_at",
    ]
    fieldsets = [
        *((group, {"fields": names}) for group, names in LEAD_FIELD_GROUPS),
        (
            _("Ownership"),
            {
                "fields": [
                    ("owner_user", "owner_team"),
                    "business_unit",
                ]
            },
        ),
        (
            _("Lifecycle"),
            {
                "fields": [
                    ("state", "status"),
                    ("qualified_at", "closed_at", "first_activity_at"),
                    "qualifying_account",
                    "qualifying_contact",
                    "qualifying_opportunity",
                    ("merged", "master"),
                    ("created_by", "created_at", "modified_at"),
                ]
            },
        ),
    ]
    inlines = [
        LeadProductInline,
        LeadAccountInline,
        LeadContactInline,
        ActivityInline,
        NoteInline,
        AttachmentInline,
    ]

    @admin.display(description=_("owner"))
    def owner(self, obj):
        # Both owner FKs are in list_select_related: no query per row.
        return obj.owner_user or obj.owner_team

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk:
            # The owning business unit follows the owner (assign_lead).
            fields.append("business_unit")
            if not obj.is_editable:
                # A closed lead is read-only, as on the site: reactivate it first.
                fields += [
                    name
                    for name in flatten_fieldsets(self.get_fieldsets(request))
                    if name not in fields
                ]
        return fields

    def service_create(self, request, obj, fields):
        return create_lead(by=request.user, **fields)

    def service_update(self, request, obj, fields, expected_version=None):
        owner = {name: fields.pop(name) for name in OWNER_FIELDS if name in fields}
        # Checked under the row lock even when only the owner changes.
        lead = update_lead(
            lead=obj, by=request.user, expected_version=expected_version, **fields
        )
        if owner:
            # An owner change is an assignment, logged like one from the site.
            lead = assign_lead(
                lead=lead,
                by=request.user,
                owner_user=owner.get("owner_user", lead.owner_user),
                owner_team=owner.get("owner_team", lead.owner_team),
            )
        return lead

    def save_formset(self, request, form, formset, change):
        save_links_formset(request, form.instance, formset)

    # Transitions, each through its service (side effects, locking, logging).

    def _mark_contacted(self, request, obj):
        mark_contacted(lead=obj, by=request.user)

    def _qualify(
        self,
        request,
        obj,
        *,
        create_account=True,
        create_contact=True,
        create_opportunity=True,
    ):
        qualify_lead(
            lead=obj,
            by=request.user,
            create_account=create_account,
            create_contact=create_contact,
            create_opportunity=create_opportunity,
        )

    def _disqualify(self, request, obj, *, reason, description=""):
        disqualify_lead(
            lead=obj,
            by=request.user,
            reason=LeadStatus(reason),
            description=description,
        )

    def _reactivate(self, request, obj):
        reactivate_lead(lead=obj, by=request.user)


@admin.register(FormSubmission)
class FormSubmissionAdmin(admin.ModelAdmin):
    """One-time create-form tokens; read-only, written by the services."""

    list_display = ["created_at", "kind", "object_id", "created_by"]
    list_filter = ["kind"]
    list_select_related = ["created_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
