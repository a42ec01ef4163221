"""A page's fixed query, built and compiled by the ORM once per process.

Django builds a queryset's SQL anew on every evaluation: for the lead page's own
query (the lead, six joined relations, a dozen presence flags) that took about
3 ms of a 16 ms page, the database 0.6 ms (README "Performance", "Python off the
hot path"). A `CompiledOnce` builds the queryset with stand-in values (sentinels)
for what changes between requests, compiles it once per database and shape, notes
where each stand-in landed among the parameters and from then on only puts the
request's values there. The rows become model instances the way the ORM's own
iterable makes them (the selected relations and annotations set), so callers
get what `.get()` would have given.

Only for querysets whose SQL text depends on nothing but the shape (the count of
values per name): integers as parameters, no dates computed at build time.
tests/test_compiled_once.py checks the results against the ORM's, shape by shape.

The statements that put a lead's id and a time into SQL compiled once and run it
themselves (leads.services.scoring.one_lead_pairs, leads.services.routing's
locking read) use the same stand-ins and slots (`slots_of`, `filled`).
"""

import datetime
from collections.abc import Callable, Sequence

from django.db import connections
from django.db.models import DateTimeField, QuerySet
from django.db.models.query import get_related_populators

# Stand-ins: far outside any id the tables hold (SENTINEL_ID + n for the n-th
# integer), and a time no lead is read at.
SENTINEL_ID = 987_654_321_987
SENTINEL_TIME = datetime.datetime(1999, 12, 31, 23, 59, 58, 123457, tzinfo=datetime.UTC)


def prepared_time(value, connection):
    """A time as the database driver gets it among a statement's parameters."""
    return DateTimeField().get_db_prep_value(value, connection)


def slots_of(params, sentinels) -> list[list[int]]:
    """For each sentinel (as prepared among `params`), the positions holding it."""
    return [[i for i, param in enumerate(params) if param == s] for s in sentinels]


def filled(params, slots, values) -> list:
    """A copy of `params` with each value at its sentinel's positions."""
    params = list(params)
    for positions, value in zip(slots, values, strict=True):
        for position in positions:
            params[position] = value
    return params


class _Statement:
    """One shape's SQL, where the values go, and how its rows become objects."""

    def __init__(self, queryset: QuerySet, sentinels: list[int], alias: str):
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        self.sql, self.params = sql, list(params)
        self.slots = slots_of(self.params, sentinels)
        if not all(self.slots):
            raise ValueError("a value of the compiled query is not a parameter")
        self.model = compiler.klass_info["model"]
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        self.annotations = list(compiler.annotation_col_map.items())
        if compiler.has_extra_select:
            raise ValueError("order by selected columns only (or not at all)")
        self.converters = compiler.get_converters(
            [s[0] for s in select[0 : compiler.col_count]]
        )
        self.populators = get_related_populators(klass_info, select, alias)

    def objects(self, alias: str, values: Sequence[int]) -> list:
        with connections[alias].cursor() as cursor:
            cursor.execute(self.sql, filled(self.params, self.slots, values))
            rows = cursor.fetchall()
        if self.converters:
            rows = self._converted(rows, connections[alias])
        found = []
        for row in rows:
            obj = self.model.from_db(alias, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in self.annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found

    def _converted(self, rows, connection):
        """SQLCompiler.apply_converters with this thread's connection."""
        converters = list(self.converters.items())
        for row in map(list, rows):
            for position, (functions, expression) in converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            yield row


class CompiledOnce:
    """`build(shape, *values)` (a queryset) compiled once per database and shape.

    `objects(alias, shape, values)` runs it with `values` in place of the
    sentinels `build` was first called with; `shape` must name everything the
    SQL text depends on besides the values (e.g. how many ids a list holds)."""

    def __init__(self, build: Callable[..., QuerySet]):
        self._build = build
        self._statements: dict = {}  # (database, shape) -> _Statement

    def _statement(self, alias: str, shape, count: int) -> _Statement:
        connection = connections[alias]
        key = (alias, connection.vendor, connection.settings_dict["NAME"], shape)
        statement = self._statements.get(key)
        if statement is None:
            # Two threads may both compile a new shape: the same statement twice.
            sentinels = [SENTINEL_ID + n for n in range(count)]
            statement = _Statement(self._build(shape, *sentinels), sentinels, alias)
            self._statements[key] = statement
        return statement

    def objects(self, alias: str, shape, values: Sequence[int]) -> list:
        return self._statement(alias, shape, len(values)).objects(alias, values)
