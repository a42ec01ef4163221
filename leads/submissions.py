"""Idempotent creation: a create form carries a one-time token (`SubmissionTokenField`);
the create service claims it in its own transaction (`claim_submission`) before it
inserts, and records what it made (`record_submission`).

Two POSTs of the same form at the same moment: the second INSERT of the token waits
on the unique index until the first transaction commits, then fails; the second
request reads the first one's record and returns it. Sequential repeats find the
token at once (`submitted_object_id`, used by views before any other check).
"""

import re
import secrets

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django_ratelimit.core import is_ratelimited

from leads.models import FormSubmission

# What new_token makes; anything else (a tampered value) is no token at all.
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _usable(token) -> bool:
    return isinstance(token, str) and TOKEN.fullmatch(token) is not None


def new_token() -> str:
    return secrets.token_urlsafe(32)


class SubmissionTokenField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            max_length=64,
            widget=forms.HiddenInput,
            initial=new_token,
            **kwargs,
        )


def submitted_object_id(*, token: str | None, kind: str, by) -> int | None:
    """The record an earlier POST of this form made, if any."""
    if not _usable(token):
        return None
    return (
        FormSubmission.objects.filter(token=token, kind=kind, created_by=by)
        .values_list("object_id", flat=True)
        .first()
    )


def claim_submission(*, token: str | None, kind: str, by) -> int | None:
    """Inside the create service's transaction: claim the token, or return the pk
    the POST that claimed it first created. None: go on and create."""
    if not _usable(token):
        return None
    try:
        with transaction.atomic():
            FormSubmission.objects.create(token=token, kind=kind, created_by=by)
    except IntegrityError:
        existing = submitted_object_id(token=token, kind=kind, by=by)
        if existing is None:
            raise ValidationError(
                gettext("This form was already sent. Reload the page and try again.")
            ) from None
        return existing
    return None


def record_submission(*, token: str | None, kind: str, object_id: int) -> None:
    if _usable(token):
        FormSubmission.objects.filter(token=token, kind=kind).update(
            object_id=object_id
        )


def capture_rate_limited(request, token: str) -> bool:
    """Count a public capture submission (the form page and the JSON endpoint
    alike) and say whether it is over LEADSITE_CAPTURE_RATE_PER_IP for its address
    or LEADSITE_CAPTURE_RATE_PER_FORM for its capture form (in the cache)."""
    per_ip = is_ratelimited(
        request,
        group="capture-ip",
        key="ip",
        rate=settings.LEADSITE_CAPTURE_RATE_PER_IP,
        method="POST",
        increment=True,
    )
    per_form = is_ratelimited(
        request,
        group="capture-form",
        key=lambda group, request: token,
        rate=settings.LEADSITE_CAPTURE_RATE_PER_FORM,
        method="POST",
        increment=True,
    )
    return per_ip or per_form
