"""Form helpers shared by both apps."""

from django import forms
from django.db import models

from leadsite.dates import validate_business_date

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


class BusinessDatesFilterMixin:
    """For a django-filter FilterSet: every date in its form is held to 1900–2200,
    so an extreme date is a field error, never an overflow in the query."""

    def get_form_class(self):
        form_class = super().get_form_class()

        def __init__(form, *args, **kwargs):
            form_class.__init__(form, *args, **kwargs)
            for field in form.fields.values():
                bound_dates(field)

        return type(form_class.__name__, (form_class,), {"__init__": __init__})
