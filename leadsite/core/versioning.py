"""Edits that never overwrite someone else's change (optimistic locking).

Lead, Account, Contact, Opportunity and RoutingRule carry a `version`. Their edit
forms send the version they were loaded at (and, through `show_hidden_initial`,
every value as it was loaded); the update service checks it under the row lock (`check_version`) and
raises EditConflict when another save came first, even at the same moment. The
view then re-renders the form (`resolve_conflict`) with the other person's changes
merged in, the user's own changes kept, and both shown side by side: nothing lost.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

CONFLICT_MESSAGE = _(
    "This %(what)s changed while you were editing. Their changes are shown below "
    "and merged into the form; your changes are kept. Check them and save again."
)


class EditConflict(ValidationError):
    """A save based on an older version; `current` is the row as stored now."""

    def __init__(self, current):
        self.current = current
        what = current._meta.verbose_name
        super().__init__(CONFLICT_MESSAGE % {"what": what}, code="edit_conflict")


# The version an edit form stands for when its `version` field was not sent: no
# row ever has it, so the save is refused as a conflict, never applied blindly.
MISSING_VERSION = -1


def has_version(model) -> bool:
    """Whether the model's rows carry a version (optimistic locking)."""
    return any(f.name == "version" for f in model._meta.concrete_fields)


def check_version(locked, expected_version) -> None:
    """Under the row lock: refuse a save based on an older version (or an edit form
    that did not say which version it was loaded at). `expected_version=None` (a
    script, an import) skips the check. The caller raises the version only when
    the save changes something (`changed_fields`)."""
    if expected_version is not None and locked.version != expected_version:
        raise EditConflict(locked)


def changed_fields(instance, fields: dict) -> dict:
    """The entries of `fields` whose value differs from `instance`'s, compared
    column by column (a foreign key by its id, without loading the related row).
    An edit that changes none of them saves nothing and keeps the version."""
    changed = {}
    for name, value in fields.items():
        field = instance._meta.get_field(name)
        if field.many_to_one:
            new = getattr(value, "pk", value)
        elif value is None:
            new = None
        else:
            try:
                new = field.to_python(value)
            except ValidationError:
                changed[name] = value  # full_clean says what is wrong with it
                continue
        if getattr(instance, field.attname) != new:
            changed[name] = value
    return changed


class VersionField(forms.IntegerField):
    """The hidden version an edit form was loaded at. On an edit form
    (`carry_version`), a POST without it stands for MISSING_VERSION."""

    def __init__(self, **kwargs):
        super().__init__(
            required=False, min_value=0, widget=forms.HiddenInput, **kwargs
        )
        self.editing = False

    def clean(self, value):
        if self.editing and value in self.empty_values:
            return MISSING_VERSION
        return super().clean(value)


def carry_version(form) -> None:
    """An edit form remembers the version and the values it was loaded with."""
    if form.instance.pk is None:
        return
    form.initial.setdefault("version", form.instance.version)
    form.fields["version"].editing = True
    for name, field in form.fields.items():
        if name != "version" and not isinstance(field.widget, forms.HiddenInput):
            field.show_hidden_initial = True


def _display(form, name, value) -> str:
    field = form.fields[name]
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    choices = getattr(field, "choices", None)
    if choices and not isinstance(field, forms.ModelChoiceField):
        labels = {str(key): label for key, label in field.choices}
        return str(labels.get(str(value), value))
    return str(value)


def resolve_conflict(form_class, form, current, **form_kwargs):
    """The form to show after an EditConflict, and rows (label, theirs, yours).

    Per field: changed only by the other person → their value goes into the form;
    changed by the user → the user's value stays (and, when the other person changed
    it too, both are shown). The new form carries the current version, so saving it
    applies both sets of changes.
    """
    fresh = form_class(instance=current, **form_kwargs)
    data = form.data.copy()
    rows = []
    mine = set(form.changed_data)
    for name, field in form.fields.items():
        if name == "version" or not field.show_hidden_initial:
            continue
        stored = fresh[name].value()
        original = form.data.get(form[name].html_initial_name)
        text = field.hidden_widget().format_value(stored)
        if field.has_changed(fresh.get_initial_for_field(field, name), original):
            theirs = _display(fresh, name, getattr(current, name, stored))
            if name in mine:
                yours = _display(form, name, form.cleaned_data.get(name))
                rows.append((field.label, theirs, yours))
            else:
                rows.append((field.label, theirs, None))
                if isinstance(field, forms.BooleanField):
                    data.setlist(name, ["on"] if stored else [])
                else:
                    data[name] = text or ""
        data[form[name].html_initial_name] = text or ""
    data["version"] = str(current.version)
    merged = form_class(data, instance=current, **form_kwargs)
    merged.is_valid()
    merged.add_error(None, EditConflict(current))
    return merged, rows
