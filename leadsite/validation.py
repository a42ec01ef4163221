"""full_clean() without the existence queries for relations the caller handed over.

Model.full_clean() checks every foreign key by querying its row (ForeignKey.validate).
A service that was given the related record itself (read from the database, often
under lock) knows it exists, and the database's foreign key still guards the write:
those queries only cost time (qualify ran nine of them). Relations with
limit_choices_to keep their check (it is a business rule, not an existence test).
"""


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
