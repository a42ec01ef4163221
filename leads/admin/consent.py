"""Admin for consent: the purposes administrators define (read-only for the other
roles, whose groups hold only the view permission), the consents a capture form
asks for (an inline on the capture form; changed wording needs a new version),
and the consent log and current states (read-only, in the viewer's scope)."""

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from accounts.admin import ServiceAdminMixin
from accounts.models import Contact
from accounts.permissions import scope_q, visible_to
from leads.admin.common import ReadOnlyAdmin
from leads.models import (
    CaptureFormPurpose,
    ConsentEvent,
    ConsentPurpose,
    ConsentState,
    Lead,
)
from leads.services.consent import save_capture_form_purpose, save_consent_purpose


@admin.register(ConsentPurpose)
class ConsentPurposeAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Switched off (is_active), not deleted: the consent log keeps naming it."""

    list_display = ["name", "code", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "code", "description"]
    prepopulated_fields = {"code": ["name"]}

    def _save(self, request, obj, fields):
        for name, value in fields.items():
            setattr(obj, name, value)
        return save_consent_purpose(purpose=obj, by=request.user)

    def service_create(self, request, obj, fields):
        return self._save(request, obj, fields)

    def service_update(self, request, obj, fields):
        return self._save(request, obj, fields)


class CaptureFormPurposeForm(forms.ModelForm):
    class Meta:
        model = CaptureFormPurpose
        fields = ["purpose", "wording", "version", "position"]
        widgets = {"wording": forms.Textarea(attrs={"rows": 2})}

    def clean(self):
        cleaned = super().clean()
        if (
            self.instance.pk is not None
            and "wording" in self.changed_data
            and "version" not in self.changed_data
        ):
            self.add_error(
                "version",
                _(
                    "The wording changed: give it a new version, so consents given "
                    "with the old wording keep theirs."
                ),
            )
        return cleaned


class CaptureFormPurposeFormSet(BaseInlineFormSet):
    """Saves each row through save_capture_form_purpose (`by`: set per request)."""

    by = None

    def save_new(self, form, commit=True):
        item = form.save(commit=False)
        setattr(item, self.fk.name, self.instance)
        return save_capture_form_purpose(item=item, by=self.by)

    def save_existing(self, form, obj, commit=True):
        return save_capture_form_purpose(item=form.save(commit=False), by=self.by)


class CaptureFormPurposeInline(admin.TabularInline):
    """On the capture form: the purposes it asks consent for, each an optional
    checkbox with its own wording and version."""

    model = CaptureFormPurpose
    form = CaptureFormPurposeForm
    formset = CaptureFormPurposeFormSet
    extra = 0
    autocomplete_fields = ["purpose"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"by": request.user})


@admin.register(CaptureFormPurpose)
class CaptureFormPurposeAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """The consents every capture form asks for (also inline on each form)."""

    form = CaptureFormPurposeForm
    list_display = ["capture_form", "purpose", "version", "position"]
    list_select_related = ["capture_form", "purpose"]
    list_filter = ["purpose"]
    autocomplete_fields = ["purpose"]

    def get_fields(self, request, obj=None):
        return ["capture_form", *super().get_fields(request, obj)]

    def _save(self, request, obj, fields):
        for name, value in fields.items():
            setattr(obj, name, value)
        return save_capture_form_purpose(item=obj, by=request.user)

    def service_create(self, request, obj, fields):
        return self._save(request, obj, fields)

    def service_update(self, request, obj, fields):
        return self._save(request, obj, fields)


def _scoped(request, queryset):
    """Rows of leads and contacts the viewer may see."""
    if scope_q(request.user) is None:
        return queryset
    return queryset.filter(
        Q(lead__in=visible_to(request.user, Lead.objects.all()))
        | Q(contact__in=visible_to(request.user, Contact.objects.all()))
    )


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = [
        "recorded_at",
        "purpose",
        "status",
        "method",
        "lead",
        "contact",
        "recorded_by",
        "wording_version",
    ]
    list_filter = ["status", "method", "purpose"]
    list_select_related = ["purpose", "lead", "contact", "recorded_by"]
    date_hierarchy = "recorded_at"

    def get_queryset(self, request):
        return _scoped(request, super().get_queryset(request))


@admin.register(ConsentState)
class ConsentStateAdmin(ReadOnlyAdmin):
    list_display = [
        "purpose",
        "status",
        "since",
        "method",
        "lead",
        "contact",
        "unconfirmed_at",
    ]
    list_filter = ["status", "purpose", ("unconfirmed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["purpose", "lead", "contact"]

    def get_queryset(self, request):
        return _scoped(request, super().get_queryset(request))
