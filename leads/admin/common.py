"""Helpers the lead admins share: lead scoping, the read-only admin."""

from accounts.admin.common import ReadOnlyAdmin
from accounts.permissions import scope_q

__all__ = ["ReadOnlyAdmin"]

TIMELINE_TARGETS = ["lead", "account", "contact", "opportunity"]


def _scoped_by_lead(request, queryset):
    scope = scope_q(request.user, prefix="lead__")
    return queryset if scope is None else queryset.filter(scope)
