"""Domain errors raised by lead services; views turn them into messages or form errors.

This module imports nothing of ours (the lowest layer of the leads app), so the
wording of a closed lead's refusal reads the row's own attributes only.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext


class TransitionRefused(ValidationError):
    """A lifecycle step is not allowed now (closed lead, stale page, second user...).

    The message is written for the user, e.g. "This lead is already qualified."
    """


def closed_message(lead, *, named: bool = False) -> str:
    """Why a closed lead (merged, qualified or disqualified) cannot change, in the
    user's words: the one wording of services, pages and admin alike.

    `named=True` names the lead instead of "This lead" (a page about two leads).
    """
    if named:
        if lead.merged:
            message = gettext(
                "“%(lead)s” was merged into another lead and is read-only."
            )
        elif lead.is_qualified:
            message = gettext(
                "“%(lead)s” is already qualified. Reactivate it to change it."
            )
        else:
            message = gettext("“%(lead)s” is disqualified. Reactivate it to change it.")
        return message % {"lead": lead}
    if lead.merged:
        return gettext("This lead was merged into another lead and is read-only.")
    if lead.is_qualified:
        return gettext("This lead is already qualified. Reactivate it to change it.")
    return gettext("This lead is disqualified. Reactivate it to change it.")


class LeadClosed(TransitionRefused):
    """A write to a closed lead (Lead.is_editable is False), worded by closed_message.

    Services raise it after reading the row under its lock, so a lead closed by a
    concurrent request is refused too.
    """

    def __init__(self, lead, *, named: bool = False):
        super().__init__(closed_message(lead, named=named), code="closed")

    def __reduce__(self):
        # Pickled and copied as the message it carries: the lead is not rebuilt.
        return TransitionRefused, (self.message, self.code, self.params)


class WorkerLost(Exception):
    """Recorded on a background task whose worker stopped (killed, or its machine
    lost) while running it; the work was handed to a new task."""
