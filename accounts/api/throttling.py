"""Request limits per API token, counted in the configured cache."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken

DEFAULT_RATE = "600/min"


class TokenRateThrottle(SimpleRateThrottle):
    """settings.LEADSITE_API_RATE requests per token (a browser session: per user;
    anonymous: per client address). Over it: 429 with Retry-After. Each token has
    its own budget, so one busy integration does not starve the user's others. The
    counts live in the default cache: set CACHE_URL to a shared cache (Redis,
    Memcached) so the limit holds across app servers."""

    scope = "api"

    def get_rate(self):
        return getattr(settings, "LEADSITE_API_RATE", DEFAULT_RATE)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
