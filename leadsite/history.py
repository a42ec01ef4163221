"""The change history of leads, accounts, contacts and opportunities
(django-simple-history): who changed which field from what to what, when, and
through what (form, admin, bulk, import, routing, ...).

Every write goes through a service (leadsite/services.py), so the history user is
the service's `by=` (falling back to the request's user, HistoryRequestMiddleware),
and the channel is what the caller declared with ``through()``, else "admin" for
the Django admin, "form" for any other request and "command" without a request.
"""

import functools
from dataclasses import dataclass
from datetime import datetime

from django.dispatch import receiver
from django.urls import reverse
from simple_history.manager import HistoryManager as BaseHistoryManager
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from leadsite.permissions import is_administrator, is_manager
from leadsite.services import current_actor, current_channel

CHANNELS = {
    "form": "Form",
    "admin": "Admin",
    "bulk": "Bulk action",
    "import": "Import",
    "routing": "Routing",
    "capture": "Capture form",
    "merge": "Merge",
    "command": "Command",
}
# Bookkeeping columns the Changes tab leaves out.
NOT_SHOWN = {"modified_at", "created_at", "id"}
CHANGES_LIMIT = 100


def history_user(instance, request=None, **kwargs):
    """HistoricalRecords(get_user=...): the acting service user, else the request's."""
    actor = current_actor()
    if actor is not None:
        return actor
    return getattr(request, "user", None) if request is not None else None


class HistoryManager(BaseHistoryManager):
    """simple_history's manager, its class built once per queryset class.

    simple_history's descriptor calls from_queryset() on every access of
    `instance.history`, which is every save of an audited record: Django builds a
    new manager class each time (inspect.getmembers over the queryset class, about
    0.3 ms a save). The class depends only on its arguments, so it is cached."""

    @classmethod
    @functools.cache
    def from_queryset(cls, queryset_class, class_name=None):
        return super().from_queryset(queryset_class, class_name)


def record_history(**kwargs) -> HistoricalRecords:
    """The history field every audited model declares (``history = record_history()``)."""
    return HistoricalRecords(
        get_user=history_user, history_manager=HistoryManager, **kwargs
    )


def _request_channel() -> str:
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None:
        return "command"
    if request.path.startswith(reverse("admin:index")):
        return "admin"
    return "form"


@receiver(pre_create_historical_record)
def _stamp_channel(sender, history_instance, **kwargs):
    """An audit concern only (nothing depends on it): stamp the channel."""
    if not history_instance.history_change_reason:
        history_instance.history_change_reason = current_channel() or _request_channel()


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str
    who: object
    when: datetime
    through: str


def may_see_changes(user) -> bool:
    """Managers and administrators see the Changes tab."""
    return is_administrator(user) or is_manager(user)


def _display(field, value, related: dict) -> str:
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        return str(related.get((field.related_model, value), f"#{value}"))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def field_changes(record, *, limit: int = CHANGES_LIMIT) -> list[FieldChange]:
    """The record's field changes, newest first: one row per changed field.

    A fixed number of queries: the history rows (with their users) in one, then one
    per related model to name foreign-key values.
    """
    rows = list(
        record.history.select_related("history_user").order_by(
            "history_date", "history_id"
        )
    )
    model = type(record)
    fields = [f for f in model._meta.concrete_fields if f.name not in NOT_SHOWN]
    diffs = []
    for previous, current in zip([None, *rows[:-1]], rows, strict=True):
        if current.history_type == "+" or previous is None:
            diffs.append((None, None, None, current))
            continue
        for field in fields:
            old = getattr(previous, field.attname)
            new = getattr(current, field.attname)
            if old != new:
                diffs.append((field, old, new, current))
    wanted: dict = {}
    for field, old, new, _row in diffs:
        if field is not None and field.is_relation:
            wanted.setdefault(field.related_model, set()).update({old, new} - {None})
    related = {}
    for rel_model, pks in wanted.items():
        for pk, obj in rel_model._default_manager.in_bulk(pks).items():
            related[(rel_model, pk)] = obj
    changes = [
        FieldChange(
            field=str(field.verbose_name) if field else "(created)",
            old=_display(field, old, related) if field else "—",
            new=_display(field, new, related) if field else "",
            who=row.history_user,
            when=row.history_date,
            through=CHANNELS.get(row.history_change_reason, row.history_change_reason),
        )
        for field, old, new, row in diffs
    ]
    changes.reverse()
    return changes[:limit]


def changes_context(*, user, record) -> dict:
    """{"changes": [...]} for managers and administrators, {} for everyone else."""
    if not may_see_changes(user):
        return {}
    return {"changes": field_changes(record)}
