"""The token's scope: a read-only token reads, a read-write token may also write."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import ApiToken


class TokenScopePermission(BasePermission):
    """Refuse (403) any unsafe method made with a read-only token. Requests made
    with a session or a read-write token pass: what the user may do is then decided
    by the record-scope gate and the services, as on the pages."""

    message = _("This API token is read-only; create a read-write token to write.")

    def has_permission(self, request, view):
        token = request.auth
        if isinstance(token, ApiToken) and token.is_read_only:
            return request.method in SAFE_METHODS
        return True
