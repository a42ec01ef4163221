"""Personal API tokens: a user's key for programs that call the API as that user."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A key reads "ls_<prefix>_<secret>": the prefix (hex, so no "_") finds the row, the
# secret's SHA-256 proves it. A random 32-byte secret needs no salt or slow hash.
KEY_PREFIX = "ls"


def new_api_key() -> tuple[str, str, str]:
    """A fresh (key, prefix, secret hash); the key itself is never stored."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    return f"{KEY_PREFIX}_{prefix}_{secret}", prefix, hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_api_key(key: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    READ_WRITE = "read-write", _("Read and write")


class ApiToken(models.Model):
    """A named key that lets a program act as its user (never more than the user
    may), read-only or read-write. Only the SHA-256 of the secret is stored; the
    full key is shown once, when the token is created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for.")
    )
    prefix = models.CharField(
        _("prefix"),
        max_length=12,
        unique=True,
        help_text=_("The start of the key, to recognise it."),
    )
    key_hash = models.CharField(
        _("key hash"), max_length=64, unique=True, editable=False
    )
    scope = models.CharField(
        _("scope"), max_length=10, choices=TokenScope.choices, default=TokenScope.READ
    )
    expires_at = models.DateTimeField(
        _("expires at"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a token that never expires."),
    )
    last_used_at = models.DateTimeField(
        _("last used at"), null=True, blank=True, editable=False
    )
    revoked_at = models.DateTimeField(
        _("revoked at"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_read_only(self) -> bool:
        return self.scope == TokenScope.READ

    def is_usable(self, *, now=None) -> bool:
        """Neither revoked nor expired."""
        now = now or timezone.now()
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > now
        )
