"""Helpers the lead admins share: the estimated-count paginator and lead scoping."""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

from leadsite.permissions import scope_q

TIMELINE_TARGETS = ["lead", "account", "contact", "opportunity"]


class EstimatedCountPaginator(Paginator):
    """Paginator that, for an unfiltered queryset on PostgreSQL, takes the row count
    from the planner's statistics instead of a full COUNT(*) of a large table."""

    exact_below = 100_000

    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where:
            connection = connections[self.object_list.db]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                        [self.object_list.model._meta.db_table],
                    )
                    row = cursor.fetchone()
                if row and row[0] >= self.exact_below:
                    return row[0]
        return super().count


def _scoped_by_lead(request, queryset):
    scope = scope_q(request.user, prefix="lead__")
    return queryset if scope is None else queryset.filter(scope)
