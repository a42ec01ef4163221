"""Django admin for leads, their links and interests, the timeline, campaigns, capture
forms, routing rules and the assignment log.

Lead transitions run through the lifecycle and qualification services (never a bare
`lead.transition(); lead.save()`); the lead changelist stays cheap on a million rows.
"""

import filetype
from django import forms
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

from accounts.admin import ScopedAdminMixin, ServiceTransitionAdminMixin
from leads.models import (
    DISQUALIFY_REASONS,
    Activity,
    Attachment,
    Campaign,
    CaptureForm,
    Lead,
    LeadAccount,
    LeadAssignment,
    LeadContact,
    LeadProduct,
    LeadStatus,
    Note,
    RoutingRule,
)
from leads.selectors.timeline import visible_timeline_items
from leadsite.permissions import scope_q

TIMELINE_TARGETS = ["lead", "account", "contact", "opportunity"]


class EstimatedCountPaginator(Paginator):
    """Paginator that, for an unfiltered queryset on PostgreSQL, takes the row count
    from the planner's statistics instead of a full COUNT(*) of a large table."""

    exact_below = 100_000

    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where:
            connection = connections[self.object_list.db]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                        [self.object_list.model._meta.db_table],
                    )
                    row = cursor.fetchone()
                if row and row[0] >= self.exact_below:
                    return row[0]
        return super().count


def _scoped_by_lead(request, queryset):
    scope = scope_q(request.user, prefix="lead__")
    return queryset if scope is None else queryset.filter(scope)


# --- Transition forms --------------------------------------------------------------


class QualifyLeadForm(forms.Form):
    create_account = forms.BooleanField(required=False, initial=True)
    create_contact = forms.BooleanField(required=False, initial=True)
    create_opportunity = forms.BooleanField(required=False, initial=True)


class DisqualifyLeadForm(forms.Form):
    reason = forms.TypedChoiceField(
        label="Status reason",
        coerce=int,
        choices=[(int(r), r.label) for r in DISQUALIFY_REASONS],
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


# --- Lead --------------------------------------------------------------------------


class ActivityInline(admin.TabularInline):
    model = Activity
    fk_name = "lead"
    extra = 0
    fields = ["kind", "subject", "direction", "due_at", "owner", "state"]
    readonly_fields = ["state"]
    autocomplete_fields = ["owner"]
    show_change_link = True


class NoteInline(admin.StackedInline):
    model = Note
    fk_name = "lead"
    extra = 0
    fields = ["title", "text", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    show_change_link = True


class AttachmentInline(admin.TabularInline):
    """Read-only list; files are added on the attachment page (type and size checked)."""

    model = Attachment
    fk_name = "lead"
    extra = 0
    fields = ["original_name", "content_type", "size", "created_by", "created_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


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


@admin.register(Lead)
class LeadAdmin(ScopedAdminMixin, ServiceTransitionAdminMixin, admin.ModelAdmin):
    fsm_fields = ["status"]
    fsm_forms = {"qualify": QualifyLeadForm, "disqualify": DisqualifyLeadForm}
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
        (
            "Contact",
            {
                "fields": [
                    "subject",
                    ("salutation", "first_name", "last_name"),
                    "job_title",
                    "email",
                    ("business_phone", "mobile_phone"),
                ]
            },
        ),
        (
            "Company",
            {
                "fields": [
                    "company_name",
                    "website",
                    "industry",
                    ("annual_revenue", "number_of_employees"),
                    "description",
                ]
            },
        ),
        (
            "Address",
            {
                "classes": ["collapse"],
                "fields": [
                    "address_line1",
                    "address_line2",
                    "address_line3",
                    ("city", "state_or_province", "postal_code"),
                    "country",
                ],
            },
        ),
        (
            "Source",
            {
                "fields": [
                    ("source", "rating"),
                    "campaign",
                    "capture_form",
                    "channel_partner",
                    "original_message",
                ]
            },
        ),
        (
            "Qualification details",
            {
                "fields": [
                    ("budget_amount", "budget_status"),
                    ("purchase_timeframe", "purchase_process"),
                    ("decision_maker", "need"),
                    ("estimated_value", "estimated_close_date"),
                ]
            },
        ),
        (
            "Contact preferences",
            {
                "classes": ["collapse"],
                "fields": [
                    "preferred_contact_method",
                    ("do_not_email", "do_not_bulk_email"),
                    ("do_not_phone", "do_not_postal_mail"),
                ],
            },
        ),
        (
            "Ownership and related records",
            {
                "fields": [
                    ("owner_user", "owner_team"),
                    "business_unit",
                    ("parent_account", "parent_contact"),
                ]
            },
        ),
        (
            "Lifecycle",
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
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    @admin.display(description="owner")
    def owner(self, obj):
        # Both owner FKs are in list_select_related: no query per row.
        return obj.owner_user or obj.owner_team

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for item in formset.save(commit=False):
            if hasattr(item, "created_by_id") and item.pk is None:
                item.created_by = request.user
            item.save()
        for item in formset.deleted_objects:
            item.delete()
        formset.save_m2m()

    # Transitions, each through its service (side effects, locking, logging).

    def _mark_contacted(self, request, obj):
        from leads.services.lifecycle import mark_contacted

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
        from leads.services.qualification import qualify_lead

        qualify_lead(
            lead=obj,
            by=request.user,
            create_account=create_account,
            create_contact=create_contact,
            create_opportunity=create_opportunity,
        )

    def _disqualify(self, request, obj, *, reason, description=""):
        from leads.services.lifecycle import disqualify_lead

        disqualify_lead(
            lead=obj,
            by=request.user,
            reason=LeadStatus(reason),
            description=description,
        )

    def _reactivate(self, request, obj):
        from leads.services.lifecycle import reactivate_lead

        reactivate_lead(lead=obj, by=request.user)


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


# --- Timeline ----------------------------------------------------------------------


class TimelineAdmin(admin.ModelAdmin):
    list_select_related = TIMELINE_TARGETS
    autocomplete_fields = TIMELINE_TARGETS
    show_full_result_count = False

    def get_queryset(self, request):
        # The site's gate: items on records outside the user's scope do not exist.
        return visible_timeline_items(
            user=request.user, queryset=super().get_queryset(request)
        )

    @admin.display(description="regarding")
    def regarding(self, obj):
        return obj.regarding

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Activity)
class ActivityAdmin(ServiceTransitionAdminMixin, TimelineAdmin):
    fsm_fields = ["state"]
    # Completing the first activity on a lead marks it contacted: the service does it.
    fsm_services = {"complete": "_complete", "cancel": "_cancel"}
    list_display = [
        "__str__",
        "kind",
        "state",
        "regarding",
        "owner",
        "due_at",
        "created_at",
    ]
    list_select_related = [*TIMELINE_TARGETS, "owner"]
    list_filter = ["kind", "state"]
    search_fields = ["subject"]
    autocomplete_fields = [*TIMELINE_TARGETS, "owner"]
    readonly_fields = ["completed_at", "created_by", "created_at"]

    def _complete(self, request, obj):
        from leads.services.timeline import complete_activity

        complete_activity(activity=obj, by=request.user)

    def _cancel(self, request, obj):
        from leads.services.timeline import cancel_activity

        cancel_activity(activity=obj, by=request.user)


@admin.register(Note)
class NoteAdmin(TimelineAdmin):
    list_display = ["__str__", "regarding", "created_by", "created_at"]
    list_select_related = [*TIMELINE_TARGETS, "created_by"]
    search_fields = ["title"]
    readonly_fields = ["created_by", "created_at"]


class AttachmentAdminForm(forms.ModelForm):
    class Meta:
        model = Attachment
        fields = ["file", *TIMELINE_TARGETS]


@admin.register(Attachment)
class AttachmentAdmin(TimelineAdmin):
    form = AttachmentAdminForm
    list_display = [
        "original_name",
        "content_type",
        "size",
        "regarding",
        "created_by",
        "created_at",
    ]
    list_select_related = [*TIMELINE_TARGETS, "created_by"]
    search_fields = ["original_name"]
    readonly_fields = [
        "original_name",
        "content_type",
        "size",
        "created_by",
        "created_at",
    ]

    def save_model(self, request, obj, form, change):
        if "file" in form.changed_data:
            upload = form.cleaned_data["file"]
            obj.original_name = upload.name
            obj.size = upload.size
            obj.content_type = (
                filetype.guess_mime(upload.read(2048))
                or getattr(upload, "content_type", "")
                or "application/octet-stream"
            )
            upload.seek(0)
        super().save_model(request, obj, form, change)


# --- Campaigns, capture, routing ---------------------------------------------------


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "source",
        "business_unit",
        "start_date",
        "end_date",
        "cost",
        "is_active",
    ]
    list_select_related = ["business_unit"]
    list_filter = ["is_active", "source", "business_unit"]
    search_fields = ["name"]
    autocomplete_fields = ["business_unit"]


@admin.register(CaptureForm)
class CaptureFormAdmin(admin.ModelAdmin):
    list_display = ["name", "business_unit", "campaign", "default_source", "is_active"]
    list_select_related = ["business_unit", "campaign"]
    list_filter = ["is_active", "business_unit"]
    search_fields = ["name"]
    autocomplete_fields = ["business_unit", "campaign"]
    readonly_fields = ["token"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = [
        "order",
        "name",
        "is_active",
        "business_unit",
        "source",
        "country",
        "industry",
        "target_user",
        "target_team",
        "distribution",
    ]
    list_display_links = ["name"]
    list_select_related = ["business_unit", "target_user", "target_team"]
    list_filter = ["is_active", "business_unit", "distribution"]
    search_fields = ["name"]
    autocomplete_fields = [
        "business_unit",
        "campaign",
        "channel_partner",
        "capture_form",
        "lead_business_unit",
        "target_user",
        "target_team",
    ]
    readonly_fields = ["last_assigned_user"]
    fieldsets = [
        (None, {"fields": ["name", "order", "is_active", "business_unit"]}),
        (
            "Conditions (empty matches every lead)",
            {
                "fields": [
                    "source",
                    "country",
                    "industry",
                    ("min_employees", "max_employees"),
                    ("min_estimated_value", "max_estimated_value"),
                    "campaign",
                    "channel_partner",
                    "capture_form",
                    "lead_business_unit",
                ]
            },
        ),
        (
            "Target",
            {
                "fields": [
                    ("target_user", "target_team"),
                    "distribution",
                    "last_assigned_user",
                ]
            },
        ),
    ]


@admin.register(LeadAssignment)
class LeadAssignmentAdmin(admin.ModelAdmin):
    """The assignment log is read-only: entries are written by routing."""

    list_display = [
        "created_at",
        "lead",
        "rule",
        "assigned_user",
        "assigned_team",
        "reason",
        "by",
    ]
    list_select_related = ["lead", "rule", "assigned_user", "assigned_team", "by"]
    list_filter = ["reason"]
    search_fields = ["lead__last_name", "detail"]
    show_full_result_count = False

    def get_queryset(self, request):
        return _scoped_by_lead(request, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- imports and capture (issue 11): logs, read-only here ------------------------------
from leads.models import (  # noqa: E402
    CaptureSubmission,
    ImportBatch,
    ImportRow,
    PossibleDuplicate,
)


class _ReadOnlyLog(admin.ModelAdmin):
    """Written by the import and capture services only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(_ReadOnlyLog):
    list_display = [
        "original_name",
        "created_by",
        "created_at",
        "status",
        "total_rows",
        "created_count",
        "updated_count",
        "skipped_count",
        "failed_count",
    ]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    search_fields = ["original_name"]


@admin.register(ImportRow)
class ImportRowAdmin(_ReadOnlyLog):
    list_display = ["batch", "line", "outcome", "lead", "message"]
    list_filter = ["outcome"]
    list_select_related = ["batch", "lead"]
    raw_id_fields = ["batch", "lead"]
    show_full_result_count = False


@admin.register(CaptureSubmission)
class CaptureSubmissionAdmin(_ReadOnlyLog):
    list_display = ["created_at", "capture_form", "lead"]
    list_select_related = ["capture_form", "lead"]
    raw_id_fields = ["lead"]


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(_ReadOnlyLog):
    list_display = ["created_at", "lead", "matched_lead", "matched_contact", "reason"]
    list_select_related = ["lead", "matched_lead", "matched_contact"]
    raw_id_fields = ["lead", "matched_lead", "matched_contact"]
