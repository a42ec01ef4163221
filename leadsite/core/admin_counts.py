"""Admin changelists that never count a million rows exactly.

Django's admin counts every changelist twice (the filtered rows and, for "x of y
selected", the whole table) with exact COUNT(*)s: a full scan each on a large
table, and with a text search the scan re-runs the LIKE on every row. On
PostgreSQL this paginator asks the planner instead: the table's row estimate
(pg_class.reltuples) for an unfiltered list, the plan's row estimate for a
filtered or searched one, and an exact count only when that estimate is small
(below EXACT_BELOW), where counting is cheap. Counts above it are estimates,
which is what the admin's pagination needs. SQLite counts exactly.
"""

import json

from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from leadsite.core import jinja

EXACT_BELOW = 10_000


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self):
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql":
            estimate = _estimate(connection, queryset)
            if estimate >= EXACT_BELOW:
                return estimate
        return queryset.count()


def _estimate(connection, queryset) -> int:
    with connection.cursor() as cursor:
        if not queryset.query.where:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
            if row and row[0] >= 0:  # -1: never analyzed
                return row[0]
        sql, params = queryset.order_by().query.sql_with_params()
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountAdminMixin:
    """For ModelAdmins of big tables: estimated counts, no second full count, and
    50 rows a page (each row renders a checkbox and links through templates)."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50

    def changelist_view(self, request, extra_context=None):
        """Without the navigation sidebar: drawing every app and model of the site
        (their names translated one by one) cost this page about a fifth of its
        time (see README, Performance). The breadcrumbs and the admin's home still
        lead everywhere."""
        return super().changelist_view(
            request, {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        )

    def action_checkbox(self, obj):
        """Django's row checkbox from one template (admin/action_checkbox.html of
        the Jinja2 engine) instead of a render of the form widget templates per
        row (see README, Performance)."""
        return jinja.render(
            "admin/action_checkbox.html",
            {
                "name": helpers.ACTION_CHECKBOX_NAME,
                "value": obj.pk,
                "label": _("Select this object for an action - {}").format(obj),
            },
        )
