"""Idempotency keys of API POSTs: the first answer to a (user, key), kept a day so a
repeated request gets it again instead of doing the work twice."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# How long a key holds (the 24 h; Stripe keeps theirs as long).
IDEMPOTENCY_KEY_LIFETIME = datetime.timedelta(hours=24)


class IdempotencyKey(models.Model):
    """One key a user sent with a POST, the request it came with (a fingerprint of
    method, path and body) and the response it got. The row is written in the same
    transaction as the request's work: a request that failed leaves no key, and a
    second request with the key waits for the first to commit (the unique index),
    then answers the stored response."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(
        _("status code"), null=True, blank=True
    )
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    # The headers a client acts on (Location, ETag), as sent.
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.BinaryField(_("body"), blank=True, default=b"")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="idempotency_key_unique_per_user"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self):
        return f"{self.key} ({self.user_id})"

    def is_expired(self, now: datetime.datetime) -> bool:
        return self.created_at <= now - IDEMPOTENCY_KEY_LIFETIME
