"""`Authorization: Bearer <key>` with a personal API token."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts.selectors import get_api_token_for_key
from accounts.services.tokens import record_api_token_use

KEYWORD = b"bearer"


class TokenAuthentication(BaseAuthentication):
    """Authenticate as the token's user, with the token as `request.auth`.

    No Bearer header: not this scheme (None, the next class tries). A key that is
    unknown, revoked or expired, or whose user is inactive: 401. The key is never
    logged or echoed back."""

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != KEYWORD:
            return None
        if len(words) != 2:
            raise AuthenticationFailed(_("Send the header as: Bearer <API token>."))
        try:
            key = words[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Invalid API token.")) from None
        token = get_api_token_for_key(key=key)
        if token is None or not token.is_usable():
            raise AuthenticationFailed(_("Invalid, expired or revoked API token."))
        if not token.user.is_active:
            raise AuthenticationFailed(_("The token's user is inactive."))
        record_api_token_use(token=token)
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 when a
        # request carries no valid credentials.
        return 'Bearer realm="api"'


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema (/api/schema/) describes the token: a bearer key."""

    target_class = "accounts.api.authentication.TokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (ls_...), created on the API "
            "tokens page; only its hash is stored.",
        }
