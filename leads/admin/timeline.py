"""Admin for the timeline: activities, notes and attachments (and their lead inlines)."""

import filetype
from django import forms
from django.contrib import admin

from accounts.admin import ServiceTransitionAdminMixin
from leads.admin.common import TIMELINE_TARGETS
from leads.models import Activity, Attachment, Note
from leads.selectors.timeline import visible_timeline_items


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
