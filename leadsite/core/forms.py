"""Form helpers shared by both apps."""

import copy

from django import forms
from django.db import models

from leadsite.core import jinja
from leadsite.core.dates import validate_business_date

EMPTY_LABEL = "—"


def formfield_callback(db_field, **kwargs):
    """ModelForm fields as our users read them.

    - URL fields assume https:// for a bare domain (Django 6's default, chosen now).
    - An empty choice reads "—" rather than Django's "---------".
    - Dates and datetimes stay within the business range (1900–2200).
    """
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    if isinstance(db_field, models.ForeignKey):
        kwargs.setdefault("empty_label", EMPTY_LABEL)
    field = db_field.formfield(**kwargs)
    if isinstance(field, forms.ChoiceField) and not isinstance(
        field, forms.ModelChoiceField
    ):
        field.choices = [
            (value, EMPTY_LABEL if value == "" else label)
            for value, label in field.choices
        ]
    bound_dates(field)
    return field


def bound_dates(field) -> None:
    """Hold a date/datetime field (or each part of a range field) to 1900–2200."""
    if isinstance(field, forms.MultiValueField):
        for part in field.fields:
            bound_dates(part)
    elif isinstance(field, forms.DateField | forms.DateTimeField):
        if validate_business_date not in field.validators:
            field.validators.append(validate_business_date)


class BusinessDateField(forms.DateField):
    default_validators = [validate_business_date]


class BusinessDateTimeField(forms.DateTimeField):
    default_validators = [validate_business_date]


class _BaseFilters(dict):
    """A FilterSet's base filters, which django-filter deep-copies for every
    request's FilterSet: here each filter is copied one level only (with its own
    `extra`, where a filter puts the request's queryset), since nothing below is
    changed per request but the request's queryset in `extra` and the filter a
    `method` calls back. A deep copy of the lead list's filters was about 7% of
    the list page's Python."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, original in self.items():
            copies[name] = filter_ = copy.copy(original)
            filter_.extra = dict(original.extra)
            # Its form field is built per request (never shared between users).
            filter_.__dict__.pop("_field", None)
            if original.method is not None:
                # Its FilterMethod points at the filter: a new one at the copy.
                filter_.method = original.method
        return copies


class _OwnFields(dict):
    """The fields of a form class built for one FilterSet (one request): its form
    uses them without the deep copy a form makes of a shared class's fields."""

    def __deepcopy__(self, memo):
        return dict(self)


class BusinessDatesFilterMixin:
    """For a django-filter FilterSet: every date in its form is held to 1900–2200,
    so an extreme date is a field error, never an overflow in the query. Its
    filters are copied per request one level deep (_BaseFilters)."""

    @classmethod
    def get_filters(cls):
        return _BaseFilters(super().get_filters())

    def get_form_class(self):
        form_class = super().get_form_class()

        def __init__(form, *args, **kwargs):
            form_class.__init__(form, *args, **kwargs)
            for field in form.fields.values():
                bound_dates(field)

        own = type(form_class.__name__, (form_class,), {"__init__": __init__})
        # The class is this FilterSet's own, its fields built for it from its own
        # filters: its one form takes them as they are, without another deep copy.
        own.base_fields = _OwnFields(own.base_fields)
        return own


def keep_stored_choices(form) -> None:
    """On an edit form, keep each related record the instance already points at
    among its field's choices, even when the queryset (active, in the user's scope,
    still a partner) leaves it out: otherwise the browser submits "—" and an
    untouched save clears it. Call at the end of the form's __init__, after the
    querysets are set. Only the instance's own value is added, so another
    out-of-scope id stays an invalid choice; an unchanged value is not validated
    again (KeepStoredChoicesMixin) since the user did not choose it now.
    """
    instance = form.instance
    if instance.pk is None:
        return
    for name, field in form.fields.items():
        if not isinstance(field, forms.ModelChoiceField):
            continue
        current = getattr(instance, f"{name}_id", None)
        if current is None:
            continue
        queryset = field.queryset
        model = queryset.model
        kept = model._default_manager.filter(
            models.Q(pk__in=queryset.values("pk")) | models.Q(pk=current)
        )
        kept.query.select_related = queryset.query.select_related
        if queryset.query.order_by:
            kept = kept.order_by(*queryset.query.order_by)
        field.queryset = kept


class KeepStoredChoicesMixin:
    """ModelForm: a relation the user left unchanged is not re-validated against
    limit_choices_to (a partner that stopped being one stays on the lead)."""

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        for name, field in self.fields.items():
            if not isinstance(field, forms.ModelChoiceField) or self.instance is None:
                continue
            chosen = getattr(self.cleaned_data.get(name), "pk", None)
            if chosen is not None and str(chosen) == str(self.initial.get(name)):
                exclude.add(name)
        return exclude


class QuickSelect(forms.Select):
    """A <select> whose options are drawn in one loop of one template
    (templates/jinja2/partials/quick_select.html, the markup of Django's
    select.html): Django's own template includes a template per option, and a
    picker of 200 owners cost more than the rest of a report page."""

    template_name = "partials/quick_select.html"

    def render(self, name, value, attrs=None, renderer=None):
        return super().render(name, value, attrs, renderer=jinja.renderer)
