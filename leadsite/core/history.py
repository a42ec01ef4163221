"""The change history of leads, accounts, contacts and opportunities
(django-simple-history): who changed which field from what to what, when, and
through what (form, admin, bulk, import, routing, ...).

Every write goes through a service (leadsite/core/services.py), so the history user is
the service's `by=` (falling back to the request's user, HistoryRequestMiddleware),
and the channel is what the caller declared with ``through()``, else "admin" for
the Django admin, "api" for the REST API, "form" for any other request and
"command" without a request.
"""

import functools
from dataclasses import dataclass
from datetime import date, datetime

from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.manager import HistoryManager as BaseHistoryManager
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from leadsite.core.deferred import defer, deferring, deferring_now
from leadsite.core.services import current_actor, current_channel

CHANNELS = {
    "form": _("Form"),
    "admin": _("Admin"),
    "api": _("API"),
    "bulk": _("Bulk action"),
    "import": _("Import"),
    "routing": _("Routing"),
    "capture": _("Capture form"),
    "merge": _("Merge"),
    "command": _("Command"),
    "mass_update": _("Mass update"),
}
# Bookkeeping columns the Changes tab leaves out.
NOT_SHOWN = {"modified_at", "created_at", "id", "version"}
# What an "old" value reads when there is none to compare with (markers while the
# diff is computed, shown in words).
CREATED = "(new record)"
NOT_RECORDED = "(not recorded)"
MARKER_TEXT = {CREATED: _("(new record)"), NOT_RECORDED: _("(not recorded)")}
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
    new manager class each time (inspect.getmembers over the queryset class; see
    README, Performance). The class depends only on its arguments, so it is
    cached."""

    @classmethod
    @functools.cache
    def from_queryset(cls, queryset_class, class_name=None):
        return super().from_queryset(queryset_class, class_name)


class DeferrableHistoricalRecords(HistoricalRecords):
    """simple_history's field, whose history row of an update waits for the end of
    the chunk inside a batch (leadsite.core.deferred: a mass update writes a
    chunk's rows in one INSERT). The row is built at the save, as simple_history
    builds it (the values, date, user and channel of that moment); outside a batch
    it is written at once, as always."""

    # The audited model -> its history field (write_update_rows).
    of: dict = {}

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        DeferrableHistoricalRecords.of[cls] = self

    def create_historical_record(self, instance, history_type, using=None):
        if history_type != "~" or self.m2m_fields or not deferring_now():
            return super().create_historical_record(instance, history_type, using)
        using = using if self.use_base_model_db else None
        manager = getattr(instance, self.manager_name)
        history_date = getattr(instance, "_history_date", timezone.now())
        history_user = self.get_history_user(instance)
        reason = self.get_change_reason_for_object(instance, history_type, using)
        attrs = {
            field.attname: getattr(instance, field.attname)
            for field in self.fields_included(instance)
        }
        row = manager.model(
            history_date=history_date,
            history_type=history_type,
            history_user=history_user,
            history_change_reason=reason,
            **attrs,
        )
        pre_create_historical_record.send(
            sender=manager.model,
            instance=instance,
            history_date=history_date,
            history_user=history_user,
            history_change_reason=reason,
            history_instance=row,
            using=using,
        )
        defer(_insert_history_rows, (using, row))


def write_update_rows(instances) -> None:
    """One update ("~") history row per saved record of `instances` (their values
    now, with the user, date and channel a save would record), written together:
    for bulk writes that bypass save() (leads.services.routing_bulk)."""
    instances = list(instances)
    if not instances:
        return
    records = DeferrableHistoricalRecords.of[type(instances[0])]
    with deferring():
        for instance in instances:
            records.create_historical_record(instance, "~")


def _insert_history_rows(items) -> None:
    """A chunk's deferred history rows, one INSERT per model (and database)."""
    groups = {}
    for using, row in items:
        groups.setdefault((type(row), using), []).append(row)
    for (model, using), rows in groups.items():
        model.objects.using(using).bulk_create(rows)


def record_history(**kwargs) -> HistoricalRecords:
    """The history field every audited model declares (``history = record_history()``)."""
    return DeferrableHistoricalRecords(
        get_user=history_user, history_manager=HistoryManager, **kwargs
    )


def _request_channel() -> str:
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None:
        return "command"
    if request.path.startswith(reverse("admin:index")):
        return "admin"
    if request.path.startswith("/api/"):
        return "api"
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


def _display(field, value, related: dict) -> str:
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        return str(related.get((field.related_model, value), f"#{value}"))
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _channel(reason):
    """The channel of a history row in words (a reason of our own as it is)."""
    label = CHANNELS.get(reason, reason)
    return None if label is None else str(label)


def _diffs(rows, fields) -> list:
    """(field, old, new, row) per changed field, oldest first.

    A creation row ("+") lists every field it set, from nothing. The first row of
    a record that existed before history was kept has nothing to compare with: its
    values are shown as set from "(not recorded)". Bookkeeping-only saves (just the
    version or the modification time) leave nothing."""
    diffs = []
    previous = None
    for current in rows:
        for field in fields:
            new = getattr(current, field.attname)
            if previous is None:
                if new is None or new == "" or new is False:
                    continue
                old = CREATED if current.history_type == "+" else NOT_RECORDED
            else:
                old = getattr(previous, field.attname)
                if old == new:
                    continue
            diffs.append((field, old, new, current))
        previous = current
    return diffs


def field_changes(record, *, limit: int = CHANGES_LIMIT) -> list[FieldChange]:
    """The record's field changes, newest first: one row per changed field.

    A fixed number of queries: the history rows (with their users) in one, then one
    per related model to name foreign-key values. A record without history rows
    (loaded in bulk, or older than the history) has no changes.
    """
    rows = list(
        record.history.select_related("history_user").order_by(
            "history_date", "history_id"
        )
    )
    model = type(record)
    # Generated columns (a phone's digits) follow their source and keep no history.
    fields = [
        f
        for f in model._meta.concrete_fields
        if f.name not in NOT_SHOWN and not f.generated
    ]
    diffs = _diffs(rows, fields)
    wanted: dict = {}
    for field, old, new, _row in diffs:
        if field.is_relation:
            wanted.setdefault(field.related_model, set()).update(
                {v for v in (old, new) if v not in (None, CREATED, NOT_RECORDED)}
            )
    related = {}
    for rel_model, pks in wanted.items():
        for pk, obj in rel_model._default_manager.in_bulk(pks).items():
            related[(rel_model, pk)] = obj
    changes = [
        FieldChange(
            field=str(field.verbose_name),
            old=str(MARKER_TEXT[old])
            if old in (CREATED, NOT_RECORDED)
            else _display(field, old, related),
            new=_display(field, new, related),
            who=row.history_user,
            when=row.history_date,
            through=_channel(row.history_change_reason),
        )
        for field, old, new, row in diffs
    ]
    changes.reverse()
    return changes[:limit]
