"""Active filters of a list page as removable chips (templates/partials/filter_chips.html)."""

import datetime

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

# Query-string suffixes of range widgets (django-filter) and the chip label of each
# (the filter's label in %(label)s).
RANGE_SUFFIXES = [
    ("_after", _("%(label)s from")),
    ("_before", _("%(label)s to")),
    ("_min", _("%(label)s min")),
    ("_max", _("%(label)s max")),
]


def _display(field, value, cleaned):
    if isinstance(field, forms.ModelChoiceField):
        return str(cleaned) if cleaned not in (None, "") else value
    if isinstance(field, forms.ChoiceField):
        return str(dict((str(k), v) for k, v in field.choices).get(str(value), value))
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return value
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def filter_chips(form, params, *, skip=("view", "sort", "page")):
    """One chip per non-empty filter parameter of `params` (a QueryDict) that names a
    field of `form`: its label, the value as shown, and the URL without it. Values
    come from the validated form (no query of its own)."""
    cleaned = getattr(form, "cleaned_data", {}) or {}
    chips = []
    for key in params:
        value = params.get(key, "").strip()
        if not value or key in skip:
            continue
        base, suffix = key, None
        if base not in form.fields:
            for ending, word in RANGE_SUFFIXES:
                if key.endswith(ending) and key[: -len(ending)] in form.fields:
                    base, suffix = key[: -len(ending)], word
                    break
        field = form.fields.get(base)
        if field is None:
            continue
        remaining = params.copy()
        remaining.pop(key, None)
        remaining.pop("page", None)
        chips.append(
            {
                "label": (
                    suffix % {"label": field.label} if suffix else str(field.label)
                ),
                "value": _display(
                    field, value, cleaned.get(base) if not suffix else None
                ),
                "remove_url": f"?{remaining.urlencode()}",
            }
        )
    return chips
