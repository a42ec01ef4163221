"""The one-time tokens of create forms (leads/submissions.py claims them)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FormSubmission(models.Model):
    """The one-time token of a create form (lead, note, activity, upload) and the
    record its first POST made: the unique token makes a second POST of the same
    form (a double click, a resend) land on that record instead of a duplicate."""

    token = models.CharField(_("token"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=20)
    object_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self):
        return f"{self.kind} {self.object_id}"
