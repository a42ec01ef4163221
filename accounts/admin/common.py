"""The admin mixins both apps use: the record-scope gate, writes through services,
transitions through services and the scoped change history."""

import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed
from django_fsm.admin import FSMAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from accounts.permissions import visible_to
from leadsite.core.errors import error_message
from leadsite.core.versioning import (
    MISSING_VERSION,
    VersionField,
    check_version,
    has_version,
)

logger = logging.getLogger(__name__)

OWNED_AUTOCOMPLETE = ["owner_user", "owner_team", "business_unit"]


class OwnedServiceAdminMixin:
    """Owner fields are set on add; afterwards they are read-only (there is no
    reassignment service for customer records yet)."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk:
            fields += [name for name in OWNED_AUTOCOMPLETE if name not in fields]
        return fields


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
            messages.error(
                request,
                gettext("“%(action)s” is not allowed in the current state.")
                % {"action": label},
            )
            return False
        except ValidationError as err:
            messages.error(request, error_message(err))
            return False
        except Exception:
            # As django_fsm's own admin does: log it, tell the user, no 500 page.
            logger.exception("Admin transition %s failed", transition_name)
            messages.error(
                request,
                gettext("“%(action)s” failed unexpectedly; see the server log.")
                % {"action": label},
            )
            return False
        messages.success(request, gettext("%(action)s: done.") % {"action": label})
        return True


class ScopedHistoryAdmin(SimpleHistoryAdmin):
    """The change history in admin (read-only: SIMPLE_HISTORY_REVERT_DISABLED), for
    records in the user's scope only (simple-history would otherwise fall back to
    the history of a record the gate hides)."""

    def history_view(self, request, object_id, extra_context=None):
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404
        return super().history_view(request, object_id, extra_context)


ADMIN_CONFLICT = _(
    "This %(what)s was changed by someone else after you opened this page, so "
    "nothing was saved: saving would have undone their change. Your values are "
    "still below; open the record again to see the current values, then make "
    "your change there."
)


class VersionedAdminForm(forms.ModelForm):
    """Mixed into the admin's change form of a versioned record (ServiceAdminMixin).

    In clean() the instance is still the row as read for this POST (the posted
    values are applied after), so its version is the stored one."""

    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].editing = True
        self.initial["version"] = self.instance.version

    def clean(self):
        cleaned = super().clean()
        try:
            check_version(self.instance, cleaned.get("version", MISSING_VERSION))
        except ValidationError:
            what = self.instance._meta.verbose_name
            raise ValidationError(ADMIN_CONFLICT % {"what": what}) from None
        return cleaned


class ServiceAdminMixin:
    """Admin add/change/delete through the write services, never a bare ``save()``.

    Subclasses implement ``service_create(request, obj, fields)`` and
    ``service_update(request, obj, fields)`` (``fields``: the form's model fields,
    all on add, the changed ones on change), each returning the saved instance. A
    refusal the form could not foresee (a concurrent close, a business rule) becomes
    an error message and the page stays where it was; nothing is written. Deleting
    is off: records are closed through their transitions, not deleted.
    """

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        """A change form of a versioned record (lead, account, contact,
        opportunity) carries the version it was loaded at, as the site's forms do:
        a stale form, or one posted without it, is refused beside the form with
        the user's values kept, and the service checks again under the row lock."""
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or not has_version(self.model):
            return form
        return type(form.__name__, (VersionedAdminForm, form), {})

    def get_fields(self, request, obj=None):
        # The version is a hidden input of the form (templates/admin/change_form.html),
        # never a row of a fieldset.
        return [name for name in super().get_fields(request, obj) if name != "version"]

    def save_model(self, request, obj, form, change):
        names = form.changed_data if change else list(form.cleaned_data)
        concrete = {f.name for f in obj._meta.concrete_fields}
        fields = {
            name: getattr(obj, name)
            for name in names
            if name in concrete
            and name != "version"
            and name not in self.get_readonly_fields(request, obj)
        }
        try:
            if change and not fields:
                saved = obj
            elif change and "version" in form.cleaned_data:
                expected = form.cleaned_data["version"]
                saved = self.service_update(
                    request, obj, fields, expected_version=expected
                )
            elif change:
                saved = self.service_update(request, obj, fields)
            else:
                saved = self.service_create(request, obj, fields)
        except ValidationError as err:
            self._refuse(request, err)
            return
        obj.__dict__.update(saved.__dict__)

    def save_related(self, request, form, formsets, change):
        if getattr(request, "_service_refused", False):
            return
        try:
            super().save_related(request, form, formsets, change)
        except ValidationError as err:
            self._refuse(request, err)

    def _refuse(self, request, err):
        # The admin's change view runs in one transaction: undo what went before.
        transaction.set_rollback(True)
        messages.error(request, error_message(err))
        request._service_refused = True

    def log_addition(self, request, obj, message):
        if not getattr(request, "_service_refused", False):
            return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if not getattr(request, "_service_refused", False):
            return super().log_change(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_service_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "_service_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only services, triggers or the report write: shown, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
