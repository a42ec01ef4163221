"""Validation around saves: full_clean() without needless queries, and the sentence
a user reads when the database refuses a write.

full_clean(): Model.full_clean() checks every foreign key by querying its row
(ForeignKey.validate) and asks the database about every check and unique constraint
(Model.validate_constraints: a savepoint and a query each; qualify ran about thirty).
Write paths are not hot, but those queries bought nothing: the database enforces the
same constraints on the write itself. So a service validates the fields and its own
rules in Python and leaves Meta.constraints to the database. A service that was given
the related record itself (read from the database, often under lock) knows it exists,
and the database's foreign key still guards the write. Relations with
limit_choices_to keep their check (it is a business rule, not an existence test).

refusal_for(): the one translation of the database's refusal. @service
(leadsite/core/services.py) turns an IntegrityError for one of our constraints into a
ValidationError carrying the constraint's violation_error_message, beside the field
when the constraint reads only one field, so the user reads the same sentence on a
form, in the admin and in an import's row report.
"""

import functools
import re

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import CheckConstraint, Q, UniqueConstraint


def known_relations(instance) -> list[str]:
    """Names of `instance`'s foreign keys set to a saved record object whose row
    needs no existence query (no limit_choices_to)."""
    names = []
    for field in instance._meta.concrete_fields:
        if not field.many_to_one or field.remote_field.limit_choices_to:
            continue
        if not field.is_cached(instance):
            continue
        related = field.get_cached_value(instance)
        if (
            related is not None
            and not related._state.adding
            and related.pk == getattr(instance, field.attname)
        ):
            names.append(field.name)
    return names


def full_clean(instance, *, skip_fields=(), only=None) -> None:
    """instance.full_clean() for the fields and clean(), minus the existence queries
    of known_relations() and the field checks of `skip_fields` (with `only`: of
    every field but those, the ones a write changes; the others are as stored).
    Unique fields are checked for every field; Meta.constraints are the
    database's (refusal_for)."""
    if only is not None:
        only = set(only)
        skip_fields = [
            *skip_fields,
            *(
                field.name
                for field in instance._meta.concrete_fields
                if field.name not in only and field.attname not in only
            ),
        ]
    instance.full_clean(
        exclude=[*skip_fields, *known_relations(instance)],
        validate_unique=False,
        validate_constraints=False,
    )
    instance.validate_unique()


# --- database refusals -----------------------------------------------------------

# SQLite names the columns of a failed unique constraint, not the constraint.
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")


@functools.cache
def _constraints_by_name() -> dict:
    return {
        constraint.name: (model, constraint)
        for model in apps.get_models()
        for constraint in model._meta.constraints
    }


def _violated(error: IntegrityError):
    """(model, constraint) the database names in `error`, or None."""
    text = str(error)
    known = _constraints_by_name()
    # PostgreSQL: ... violates check constraint "name"; SQLite: CHECK constraint
    # failed: name.
    for name in re.findall(r'"([^"]+)"|constraint failed: (\w+)', text):
        found = known.get(name[0] or name[1])
        if found is not None:
            return found
    unique = _SQLITE_UNIQUE.search(text)
    if unique is not None:
        columns = [part.strip() for part in unique.group(1).split(",")]
        for model, constraint in known.values():
            if isinstance(constraint, UniqueConstraint) and constraint.fields:
                table = model._meta.db_table
                names = [
                    f"{table}.{model._meta.get_field(f).column}"
                    for f in constraint.fields
                ]
                if names == columns:
                    return model, constraint
    return None


def refusal_for(error: IntegrityError) -> ValidationError | None:
    """The ValidationError a user reads when the database refused a write for one of
    our models' constraints: the constraint's violation_error_message, beside the
    field when the constraint reads only one. None for any other IntegrityError
    (a foreign key, NOT NULL), which stays a programming error."""
    found = _violated(error)
    if found is None:
        return None
    _model, constraint = found
    refusal = ValidationError(
        constraint.get_violation_error_message(),
        code=constraint.violation_error_code,
    )
    fields = (
        Q(constraint.condition).referenced_base_fields
        if isinstance(constraint, CheckConstraint)
        else set(constraint.fields)
    )
    if len(fields) == 1:
        return ValidationError({fields.pop(): refusal})
    return refusal
