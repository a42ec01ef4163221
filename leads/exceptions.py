"""Domain errors raised by lead services; views turn them into messages or form errors."""

from django.core.exceptions import ValidationError


class TransitionRefused(ValidationError):
    """A lifecycle step is not allowed now (closed lead, stale page, second user...).

    The message is written for the user, e.g. "This lead is already qualified."
    """
