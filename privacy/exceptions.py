"""Refusals of the privacy services, with the message the user sees."""

from django.core.exceptions import ValidationError


class ErasureBlocked(ValidationError):
    """An active legal hold on one of the records: nothing was erased."""
