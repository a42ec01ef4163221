"""Django admin for the accounts app, by sub-domain: organisation (business units,
users, teams, products), customers (accounts, contacts), opportunities, tokens (API
tokens and Idempotency-Keys), saved_views (read-only), audit (the export log,
read-only). The mixins in `common` (scope gate, service writes, service transitions,
history) serve both apps.
"""

from accounts.admin import (  # noqa: F401
    audit,
    customers,
    opportunities,
    organisation,
    saved_views,
    tokens,
)
from accounts.admin.common import (
    OWNED_AUTOCOMPLETE,
    OwnedServiceAdminMixin,
    ScopedAdminMixin,
    ScopedHistoryAdmin,
    ServiceAdminMixin,
    ServiceTransitionAdminMixin,
)

__all__ = [
    "OWNED_AUTOCOMPLETE",
    "OwnedServiceAdminMixin",
    "ScopedAdminMixin",
    "ScopedHistoryAdmin",
    "ServiceAdminMixin",
    "ServiceTransitionAdminMixin",
]
