"""Admin for the timeline: activities, notes and attachments (and their lead inlines)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import ServiceAdminMixin, ServiceTransitionAdminMixin
from leads.admin.common import TIMELINE_TARGETS
from leads.attachments import check_upload
from leads.models import Activity, Attachment, Note
from leads.selectors.timeline import visible_timeline_items
from leads.services.timeline import (
    add_attachment,
    add_note,
    cancel_activity,
    complete_activity,
    log_activity,
)


class ReadOnlyTimelineInline:
    """A lead's timeline items as a list with links; they are added on their own
    admin pages (through the timeline services) or on the site."""

    extra = 0
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActivityInline(ReadOnlyTimelineInline, admin.TabularInline):
    model = Activity
    fk_name = "lead"
    fields = ["kind", "subject", "direction", "due_at", "owner", "state"]


class NoteInline(ReadOnlyTimelineInline, admin.StackedInline):
    model = Note
    fk_name = "lead"
    fields = ["title", "text", "created_by", "created_at"]


class AttachmentInline(ReadOnlyTimelineInline, admin.TabularInline):
    model = Attachment
    fk_name = "lead"
    fields = ["original_name", "content_type", "size", "created_by", "created_at"]


def _record(obj):
    return obj.lead or obj.account or obj.contact or obj.opportunity


class TimelineAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Items are added through the timeline services; once added, their fields are
    read-only (activities still complete or cancel through their buttons)."""

    list_select_related = TIMELINE_TARGETS
    autocomplete_fields = TIMELINE_TARGETS
    show_full_result_count = False

    def get_queryset(self, request):
        # The site's gate: items on records outside the user's scope do not exist.
        return visible_timeline_items(
            user=request.user, queryset=super().get_queryset(request)
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk:
            form_fields = self.get_form(request).base_fields
            fields += [name for name in form_fields if name not in fields]
        return fields

    @admin.display(description=_("regarding"))
    def regarding(self, obj):
        return obj.regarding

    def service_update(self, request, obj, fields):
        raise ValidationError(gettext("Timeline items cannot be edited once added."))


@admin.register(Activity)
class ActivityAdmin(TimelineAdmin, ServiceTransitionAdminMixin):
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

    def service_create(self, request, obj, fields):
        return log_activity(
            record=_record(obj),
            by=request.user,
            kind=obj.kind,
            subject=obj.subject,
            description=obj.description,
            direction=obj.direction,
            due_at=obj.due_at,
            start_at=obj.start_at,
            end_at=obj.end_at,
            owner=obj.owner,
        )

    def _complete(self, request, obj):
        complete_activity(activity=obj, by=request.user)

    def _cancel(self, request, obj):
        cancel_activity(activity=obj, by=request.user)


@admin.register(Note)
class NoteAdmin(TimelineAdmin):
    list_display = ["__str__", "regarding", "created_by", "created_at"]
    list_select_related = [*TIMELINE_TARGETS, "created_by"]
    search_fields = ["title"]
    readonly_fields = ["created_by", "created_at"]

    def service_create(self, request, obj, fields):
        return add_note(
            record=_record(obj), by=request.user, text=obj.text, title=obj.title
        )


class AttachmentAdminForm(forms.ModelForm):
    """The same upload checks as the site (size limit, type by content)."""

    class Meta:
        model = Attachment
        fields = ["file", *TIMELINE_TARGETS]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload and "file" in self.changed_data:
            check_upload(upload)
            upload.seek(0)
        return upload


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

    def service_create(self, request, obj, fields):
        upload = request.FILES["file"]
        return add_attachment(record=_record(obj), by=request.user, upload=upload)
