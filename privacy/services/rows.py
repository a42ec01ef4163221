"""Scrubbing rows in place: each row's text, JSON and binary columns read, the
person's values replaced (privacy.scrub), and only the changed columns written
back, by primary key, without signals or a history row (the erasure rewrites the
history itself). Runs inside the erasure's transaction."""

import json
from collections import Counter
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Func, Q, TextField, Value
from django.db.models.functions import Cast, Coalesce

from privacy.scrub import ERASED, PERSONAL_KEYS, Needles, scrub_any
from privacy.selectors.places import label, text_fields

# Name parts of a column that holds a way to reach or recognise a person (an
# unknown model's, e.g. a consent's proof): blanked in rows about the person.
_PERSONAL_PARTS = ("email", "phone", "address", "ip_", "user_agent")


class Tally(Counter):
    """Rows changed per model label (what the erasure log keeps)."""

    def add(self, model, rows: int) -> int:
        if rows:
            self[label(model)] += rows
        return rows


def personal_field(field) -> bool:
    """A column that names or reaches the person by its name alone."""
    if isinstance(field, models.GenericIPAddressField | models.EmailField):
        return True
    name = field.name
    return name in PERSONAL_KEYS or any(part in name for part in _PERSONAL_PARTS)


def blank_value(field):
    """What an erased column holds: empty where the column allows it."""
    if field.null:
        return None
    if isinstance(field, models.JSONField):
        return {} if isinstance(field.default, dict) else []
    if field.blank and isinstance(field, models.CharField | models.TextField):
        return ""
    return ERASED[: field.max_length] if field.max_length else ERASED


def fit(field, value):
    """`value` cut to the column's length; a column wholly erased is emptied where an
    email address or phone does not belong in the text "[erased]"."""
    if (
        value == ERASED
        and field.blank
        and (
            isinstance(field, models.EmailField | models.URLField)
            or field.name in PERSONAL_KEYS
        )
    ):
        return blank_value(field)
    if isinstance(value, str) and field.max_length and len(value) > field.max_length:
        return value[: field.max_length]
    return value


def _address(field) -> bool:
    return isinstance(field, models.CharField) and (
        field.name.endswith("address") or field.name == "sender"
    )


def _names_person(value, needles: Needles, *, about: bool) -> bool:
    if not isinstance(value, str):
        return False
    return needles.mentions(value) or (about and bool(needles.everything.search(value)))


def _mentions(value, needles: Needles) -> bool:
    if isinstance(value, memoryview | bytes):
        value = bytes(value).decode("utf-8", errors="ignore")
    elif isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    return isinstance(value, str) and needles.mentions(value)


def scrub_rows(
    queryset,
    needles: Needles,
    *,
    about: bool,
    fields=None,
    blank=(),
    blank_personal: bool = False,
) -> list:
    """Scrub the rows of `queryset`; `blank` names columns emptied outright, and
    `blank_personal` empties every personal_field too. Returns the changed rows'
    primary keys."""
    model = queryset.model
    fields = list(fields if fields is not None else text_fields(model))
    if blank_personal:
        fields += [
            f
            for f in model._meta.concrete_fields
            if personal_field(f)
            and f not in fields
            and not f.primary_key
            and not getattr(f, "generated", False)
        ]
    if not fields:
        return []
    blank = set(blank)
    changed = []
    names = [f.attname for f in fields]
    # Read first, then written: a table is not changed under its own open cursor.
    for pk, *values in list(queryset.values_list("pk", *names)):
        changes = {}
        # A row that names the person strongly in any column is about them in its
        # every text column (a stored request's key beside its response);
        # JSON is still judged object by object.
        texts_about = about or any(_mentions(v, needles) for v in values)
        for field, value in zip(fields, values, strict=True):
            if value in (None, "", b"", [], {}):
                continue
            if field.name in blank or (blank_personal and personal_field(field)):
                new = blank_value(field)
            elif _address(field) and _names_person(value, needles, about=texts_about):
                # "=?utf-8?q?...?= <q@example.org>": the display name may be
                # encoded; an address of the person's goes whole.
                new = fit(field, ERASED)
            else:
                here = texts_about if isinstance(value, str) else about
                new = fit(field, scrub_any(value, needles, about=here))
            if isinstance(value, memoryview):
                value = bytes(value)
            if new != value:
                changes[field.attname] = new
        if changes:
            model._base_manager.filter(pk=pk).update(**changes)
            changed.append(pk)
    return changed


class _Joined(Func):
    """Texts joined flat ("a || b || c"): nested CONCATs of a wide table overflow
    SQLite's parser."""

    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = TextField()


def mentioning(model, needles: Needles, fields=None):
    """The rows of `model` whose text or JSON columns hold one of the person's
    strong values or phone numbers (a candidate set: scrub_rows decides). The
    columns are searched as one text per row (one pass over the table, each value
    tested once); binary columns cannot be searched by the database: rows with
    one are all candidates."""
    fields = list(fields if fields is not None else text_fields(model))
    literals, patterns = needles.sql_literals(), needles.sql_patterns()
    if not fields or not (literals or patterns):
        return model._base_manager.none()
    queryset = model._base_manager.all()
    if any(isinstance(field, models.BinaryField) for field in fields):
        return queryset
    parts = []
    for field in fields:
        text = Cast(field.attname, TextField())
        parts += [Coalesce(text, Value("", TextField())), Value("\n", TextField())]
    queryset = queryset.annotate(_privacy_text=_Joined(*parts))
    conditions = [Q(_privacy_text__icontains=value) for value in literals]
    conditions += [Q(_privacy_text__regex=value) for value in patterns]
    return queryset.filter(reduce(or_, conditions))
