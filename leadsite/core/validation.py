"""full_clean() without the existence queries for relations the caller handed over.

Model.full_clean() checks every foreign key by querying its row (ForeignKey.validate).
A service that was given the related record itself (read from the database, often
under lock) knows it exists, and the database's foreign key still guards the write:
those queries only cost time (qualify ran nine of them). Relations with
limit_choices_to keep their check (it is a business rule, not an existence test).

ChecksInPython (below) does the same for check constraints: decided on the
instance's values instead of by a query each.
"""

import operator

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import router
from django.db.models import CheckConstraint, Q


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


def full_clean(instance, *, skip_fields=()) -> None:
    """instance.full_clean(), minus the existence queries of known_relations() and
    the field checks of `skip_fields`; unique and constraint checks still cover
    every field."""
    instance.full_clean(
        exclude=[*skip_fields, *known_relations(instance)],
        validate_unique=False,
        validate_constraints=False,
    )
    instance.validate_unique()
    instance.validate_constraints()


# --- check constraints in Python ------------------------------------------------------

_COMPARE = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


class _Unsupported(Exception):
    """The condition has a part evaluated by the database only (F(), a join, a
    lookup not listed here): the constraint is checked by its query."""


class _Excluded(Exception):
    """The condition reads a field left out of validation: Django skips it too."""


def _leaf(instance, exclude, lookup: str, value):
    name, _, op = lookup.partition("__")
    op = op or "exact"
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        raise _Unsupported from None
    if not getattr(field, "concrete", False) or hasattr(value, "resolve_expression"):
        raise _Unsupported
    if field.name in exclude:
        raise _Excluded
    try:
        current = field.to_python(getattr(instance, field.attname))
    except ValidationError:
        raise _Unsupported from None
    if op == "isnull":
        return (current is None) == bool(value)
    if current is None:
        return None  # NULL: the condition is unknown, which passes
    try:
        if op == "in":
            return current in [field.to_python(item) for item in value]
        if op in _COMPARE:
            return _COMPARE[op](current, field.to_python(value))
    except (TypeError, ValidationError):
        raise _Unsupported from None
    raise _Unsupported


def _verdict(instance, exclude, node):
    """True, False or None (SQL's unknown) for a Q tree over the instance's own
    fields and constants, with SQL's three-valued AND, OR and NOT."""
    if not isinstance(node, Q):
        if isinstance(node, tuple) and len(node) == 2:
            return _leaf(instance, exclude, *node)
        raise _Unsupported
    results = [_verdict(instance, exclude, child) for child in node.children]
    if node.connector == Q.AND:
        value = False if False in results else None if None in results else True
    elif node.connector == Q.OR:
        value = True if True in results else None if None in results else False
    else:
        raise _Unsupported
    if node.negated and value is not None:
        value = not value
    return value


def check_passes(constraint, instance, exclude=()) -> bool | None:
    """Whether `instance` passes the CheckConstraint, decided in Python as the
    database would (a NULL outcome passes); None when only the database can say."""
    try:
        return _verdict(instance, set(exclude), Q(constraint.condition)) is not False
    except _Excluded:
        return True
    except _Unsupported:
        return None


class ChecksInPython:
    """Model mixin: validate_constraints() decides each check constraint on the
    instance's own values in Python. Django asks the database (a savepoint, a
    SELECT and a release for each): a lead's four checks were twelve queries on
    every save. Conditions with F() or other expressions still go to the database;
    unique constraints always do; the table's CHECK guards every write anyway."""

    def validate_constraints(self, exclude=None):
        exclude = set(exclude or ())
        using = router.db_for_write(self.__class__, instance=self)
        errors = {}
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                try:
                    passes = (
                        check_passes(constraint, self, exclude)
                        if isinstance(constraint, CheckConstraint)
                        else None
                    )
                    if passes is None:
                        constraint.validate(
                            model_class, self, exclude=exclude, using=using
                        )
                    elif not passes:
                        raise ValidationError(
                            constraint.get_violation_error_message(),
                            code=constraint.violation_error_code,
                        )
                except ValidationError as error:
                    if (
                        getattr(error, "code", None) == "unique"
                        and len(getattr(constraint, "fields", ())) == 1
                    ):
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
