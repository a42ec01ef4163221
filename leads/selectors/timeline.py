"""Reads for the timeline and related records of leads, accounts, contacts and
opportunities (activities, notes, attachments, links, interests).

Every lookup goes through the scope gate (accounts.permissions.visible_to). The
timeline of a record costs one query per item kind whatever its length.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import router
from django.db.models import Q

from accounts.models import Account, Contact, Opportunity, User
from accounts.permissions import scope_q, visible_to
from leads.models import (
    Activity,
    ActivityState,
    Attachment,
    Lead,
    Note,
)
from leads.selectors.leads import has_any
from leadsite.core.compiled import CompiledOnce

RECORD_TYPES = {
    "lead": Lead,
    "account": Account,
    "contact": Contact,
    "opportunity": Opportunity,
}
# Newest items of each kind shown on a page; older ones stay in the database.
TIMELINE_LIMIT = 100
LINKED_LEADS_LIMIT = 50


@dataclass
class TimelineEntry:
    kind: str  # "activity", "note" or "attachment"
    item: Activity | Note | Attachment
    created_at: datetime
    # On an opportunity page: the item was written on the lead it came from.
    from_lead: Lead | None = None


def record_type_of(record) -> str:
    for name, model in RECORD_TYPES.items():
        if isinstance(record, model):
            return name
    raise TypeError(f"No timeline for {type(record).__name__}.")


def get_record(*, record_type: str, pk: int, user):
    """The lead, account, contact or opportunity `pk` if `user` may see it.

    Raises LookupError for an unknown record type and Model.DoesNotExist outside the
    user's scope (views answer 404 to both).
    """
    model = RECORD_TYPES.get(record_type)
    if model is None:
        raise LookupError(record_type)
    return visible_to(user, model.objects.all()).get(pk=pk)


def _visible_items_q(user) -> Q | None:
    """Timeline items whose record the user may see; None when nothing is hidden.

    Items on a lead are also visible to whoever sees the opportunity the lead was
    qualified into, because that opportunity's timeline shows them.
    """
    if scope_q(user) is None:
        return None
    return (
        Q(lead__in=visible_to(user, Lead.objects.all()))
        | Q(account__in=visible_to(user, Account.objects.all()))
        | Q(contact__in=visible_to(user, Contact.objects.all()))
        | Q(opportunity__in=visible_to(user, Opportunity.objects.all()))
        | Q(
            lead__qualifying_opportunity__in=visible_to(user, Opportunity.objects.all())
        )
    )


def _visible_items(user, queryset):
    q = _visible_items_q(user)
    return queryset if q is None else queryset.filter(q)


def visible_timeline_items(*, user, queryset):
    """Activities, notes or attachments (`queryset`) on records the user may see,
    including a lead's items seen through the opportunity it was qualified into."""
    return _visible_items(user, queryset)


def get_activity(*, pk: int, user) -> Activity:
    """An activity on a record the user may see (Activity.DoesNotExist otherwise)."""
    return _visible_items(user, Activity.objects.select_related("lead")).get(pk=pk)


def get_note(*, pk: int, user) -> Note:
    """A note on a record the user may see (Note.DoesNotExist otherwise)."""
    notes = Note.objects.select_related("created_by").defer(
        *_user_columns_not_shown("created_by")
    )
    return _visible_items(user, notes).get(pk=pk)


def get_attachment(*, pk: int, user) -> Attachment:
    """An attachment on a record the user may see (Attachment.DoesNotExist otherwise)."""
    return _visible_items(user, Attachment.objects.all()).get(pk=pk)


def _regarding_q(record) -> Q:
    if isinstance(record, Opportunity):
        # D365 shows the notes of the lead on the opportunity it became.
        return Q(opportunity=record) | Q(lead__qualifying_opportunity=record)
    return Q(**{record_type_of(record): record})


# A timeline names its users (str(user): full name or username) and nothing more.
_USER_NAME_FIELDS = {"id", "username", "first_name", "last_name"}


def _user_columns_not_shown(relation: str) -> list[str]:
    return [
        f"{relation}__{field.name}"
        for field in User._meta.concrete_fields
        if field.name not in _USER_NAME_FIELDS
    ]


# The has_<flag> a record may carry for each kind (see get_lead_for_detail).
KIND_FLAGS = {"activity": "activities", "note": "notes", "attachment": "attachments"}
KIND_MODELS = {"activity": Activity, "note": Note, "attachment": Attachment}


def timeline_items(*, record, kind: str, regarding: Q | None = None):
    """The activities, notes or attachments (`kind`: "activity", "note" or
    "attachment") regarding `record`, newest first, with the names of their users
    joined (no other user column): what the timeline shows of each kind and the
    API pages through. On an opportunity, its originating leads' items too. The
    caller has already checked that the user may see `record`."""
    if kind == "activity":
        # An Email activity's message (state, address, failure) comes in the join.
        queryset = Activity.objects.select_related(
            "owner", "created_by", "email"
        ).defer(
            *_user_columns_not_shown("owner"), *_user_columns_not_shown("created_by")
        )
    else:
        queryset = (
            KIND_MODELS[kind]
            .objects.select_related("created_by")
            .defer(*_user_columns_not_shown("created_by"))
        )
    if regarding is None:
        regarding = _regarding_q(record)
    return queryset.filter(regarding).order_by("-created_at", "-id")


def _latest_items(shape, record_id):
    """The newest `limit` items of one kind regarding a lead, account or contact
    (timeline_items with the record's id), for _LATEST."""
    record_type, kind, limit = shape
    items = timeline_items(
        record=None, kind=kind, regarding=Q(**{record_type: record_id})
    )
    return items[:limit]


# A page's timeline queries, built and compiled once per kind (leadsite.core.
# compiled): the deferred user columns took longer to build than to read.
_LATEST = CompiledOnce(_latest_items)


def list_timeline(*, record, limit: int = TIMELINE_LIMIT) -> list[TimelineEntry]:
    """Activities, notes and attachments regarding `record`, newest first.

    Three queries (one per kind, none for a kind the record is known to have none
    of) with their users joined. On an opportunity the items
    of its originating lead(s) are included and marked with that lead. The caller has
    already checked that the user may see `record`.
    """
    on_opportunity = isinstance(record, Opportunity)
    entries = []
    for kind, flag in KIND_FLAGS.items():
        if not has_any(record, flag):
            continue
        if on_opportunity:
            queryset = timeline_items(record=record, kind=kind).select_related("lead")
            items = queryset[:limit]
        else:
            shape = (record_type_of(record), kind, limit)
            alias = router.db_for_read(KIND_MODELS[kind])
            items = _LATEST.objects(alias, shape, [record.pk])
        for item in items:
            from_lead = item.lead if on_opportunity and item.lead_id else None
            entries.append(TimelineEntry(kind, item, item.created_at, from_lead))
    entries.sort(key=lambda e: (e.created_at, e.item.pk), reverse=True)
    return entries


def timeline_context(*, user, record) -> dict:
    """Template context for templates/leads/partials/record_timeline.html on an
    account, contact or opportunity page: its timeline with add forms, the leads
    linked to it (account/contact) and, for an opportunity, the lead(s) it came
    from with their source. The caller has already found `record` through the gate.
    """
    record_type = record_type_of(record)
    context = {
        "related_record": record,
        "timeline": list_timeline(record=record),
        "timeline_record_type": record_type,
        "timeline_record": record,
        "open_activity_state": ActivityState.OPEN,
    }
    if isinstance(record, (Account, Contact)):
        context["linked_leads"] = linked_leads(user=user, record=record)
    if isinstance(record, Opportunity):
        context["originating_leads"] = list(
            visible_to(user, Lead.objects.filter(qualifying_opportunity=record))
            .select_related("campaign", "owner_user", "owner_team")
            .order_by("qualified_at")
        )
    return context


def linked_leads(*, user, record) -> list[Lead]:
    """Leads the user may see that are linked to an account or contact, or were
    qualified into it, newest first."""
    if isinstance(record, Account):
        condition = Q(account_links__account=record) | Q(qualifying_account=record)
    else:
        condition = Q(contact_links__contact=record) | Q(qualifying_contact=record)
    leads = visible_to(user, Lead.objects.filter(condition)).distinct()
    return list(
        leads.select_related("owner_user", "owner_team").order_by("-created_at", "-id")[
            :LINKED_LEADS_LIMIT
        ]
    )
