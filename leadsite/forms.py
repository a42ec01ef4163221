"""Form helpers shared by both apps."""

from django import forms
from django.db import models

EMPTY_LABEL = "—"


def formfield_callback(db_field, **kwargs):
    """ModelForm fields as our users read them.

    - URL fields assume https:// for a bare domain (Django 6's default, chosen now).
    - An empty choice reads "—" rather than Django's "---------".
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
    return field
