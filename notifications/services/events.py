"""What the domain events tell whom (the sink, notifications.tasks.on_event, calls
these inside the emitting service's transaction). Each returns how many of the
notifications it wrote wait to be emailed at once."""

from contextvars import ContextVar
from email.utils import parseaddr

from leads.models import AssignmentTrigger, ImportStatus
from leads.selectors.mass_update import owner_changes
from leads.services.routing_bulk import ROUTING_BATCH
from leadsite.core.events import current_batch
from notifications.models import Kind
from notifications.selectors import overdue_rule_of, unit_managers
from notifications.services.delivery import Message, Together, message_text, notify

TRIGGER_LABELS = dict(AssignmentTrigger.choices)
# Routings of a lead as it comes in: its owner until then only held it (its creator,
# the importer, a capture's fallback owner), so it is not "routed away" from them.
INCOMING = {AssignmentTrigger.FORM, AssignmentTrigger.CAPTURE, AssignmentTrigger.IMPORT}
# The routing batch being told (lead_routed): replaced by the next batch's.
_routing: ContextVar[Together | None] = ContextVar("routing_told", default=None)


def lead_routed(
    lead, *, trigger: str, by: int | None = None, previous_owner: int | None = None
) -> int:
    """A lead got an owner (routing, re-routing or assignment): its new owner is
    told it is theirs, its previous owner that it went to someone else, and, when
    the response-time check re-routed it, the managers of the overrun rule's unit
    (see unit_managers). Nothing when the owner did not change; never the user
    who did it (`by`). A lead routed as it comes in (INCOMING) is new to its
    owner, whoever held it before.

    The leads of a routing batch (leads.services.routing_bulk) are told one by one
    all the same, in the same words, only written together (_routed_together)."""
    if trigger in INCOMING:
        previous_owner = None
    current = current_batch()
    if current is not None and current[0] != ROUTING_BATCH:
        # A mass update's leads: told once, in sum, when it ends (mass_update_owners).
        return 0
    owner = lead.owner_user_id
    if owner == previous_owner:
        return 0
    rerouted = trigger == AssignmentTrigger.REROUTE
    rule = overdue_rule_of(lead=lead) if rerouted else None
    context = {
        "lead": lead,
        "trigger": trigger,
        "trigger_label": TRIGGER_LABELS.get(trigger, trigger),
        "rerouted": rerouted,
        "rule": rule,
        # Loaded only where a sentence names them.
        "new_owner": lambda: lead.owner_user or lead.owner_team,
    }
    messages = []
    if owner is not None and owner != by:
        messages.append(
            Message(
                user_id=owner,
                kind=Kind.LEAD_ASSIGNED,
                text=message_text("lead_assigned", **context),
                target=lead,
                actor_id=by,
            )
        )
    if previous_owner is not None and previous_owner != by:
        messages.append(
            Message(
                user_id=previous_owner,
                kind=Kind.LEAD_REASSIGNED,
                text=message_text("lead_reassigned", **context),
                target=lead,
                actor_id=by,
            )
        )
    if rerouted:
        unit = _rule_unit(rule, lead)
        text = message_text("response_missed", **context)
        messages += [
            Message(
                user_id=manager,
                kind=Kind.RESPONSE_DEADLINE,
                text=text,
                target=lead,
                actor_id=by,
            )
            for manager in unit_managers(unit_id=unit)
            if manager not in (owner, previous_owner)
        ]
    if current is None:
        return notify(messages, locales=_known_locales(lead))
    return notify(messages, together=_routed_together(current))


def _known_locales(lead) -> dict:
    """The new owner's (language, time zone) when the lead holds them already
    read (the routing service's candidate user): notify() then need not read
    them again."""
    if not type(lead).owner_user.is_cached(lead) or lead.owner_user is None:
        return {}
    owner = lead.owner_user
    if {"language", "time_zone"} & owner.get_deferred_fields():
        return {}
    return {owner.pk: (owner.language, owner.time_zone)}


def _routed_together(key) -> Together:
    """The routing batch `key`'s notifications (see Together): the choices made
    for their kinds read once, their rows inserted together at its end."""
    together = _routing.get()
    if together is None or together.key != key:
        together = Together(key)
        _routing.set(together)
    return together


def _rule_unit(rule, lead):
    """The business unit a rule belongs to: its own, its channel partner's, else
    (an organisation rule) the lead's."""
    if rule is not None and rule.business_unit_id:
        return rule.business_unit_id
    if rule is not None and rule.channel_partner_id:
        return rule.channel_partner.business_unit_id
    return lead.business_unit_id


def import_done(batch, **extra) -> int:
    """An import finished or its file was refused: whoever uploaded it is told."""
    refused = batch.status == ImportStatus.REFUSED
    message = Message(
        user_id=batch.created_by_id,
        kind=Kind.IMPORT_DONE,
        text=message_text("import_done", batch=batch, refused=refused),
        target=batch,
    )
    return notify([message])


def webhook_paused(subscription, *, by: int | None = None) -> int:
    """A subscription was paused: its owner is told (not when they paused it)."""
    message = Message(
        user_id=subscription.owner_id,
        kind=Kind.WEBHOOK_PAUSED,
        text=message_text(
            "webhook_paused", subscription=subscription, failing=by is None
        ),
        target=subscription,
        actor_id=by,
    )
    return notify([message])


def email_received(email, **extra) -> int:
    """An email came in on a record (a reply, or a sender's mail joining their open
    lead): the record's owner is told, unless the owner sent it."""
    record = email.regarding
    owner = getattr(record, "owner_user", None)
    if owner is None:
        return 0
    sender = parseaddr(email.from_address)[1].lower()
    if owner.email and owner.email.lower() == sender:
        return 0
    message = Message(
        user_id=owner.pk,
        kind=Kind.EMAIL_RECEIVED,
        text=message_text(
            "email_received", email=email, record=record, reply=bool(email.parent_id)
        ),
        target=record,
    )
    return notify([message])


def mass_update_owners(job, *, undone: bool = False) -> int:
    """A mass update (or its undo) finished: each user it gave leads to is told how
    many, and each user it took leads from how many went to others — one
    notification each, instead of one per lead (never the user who ran it)."""
    gained, lost = owner_changes(job, undone=undone)
    actor = job.undone_by if undone else job.created_by
    actor_id = getattr(actor, "pk", None)
    messages = [
        Message(
            user_id=user_id,
            kind=Kind.LEAD_ASSIGNED,
            text=message_text(
                "leads_assigned_bulk", count=count, actor=actor, undone=undone
            ),
            target=None,
            actor_id=actor_id,
        )
        for user_id, count in sorted(gained.items())
    ]
    messages += [
        Message(
            user_id=user_id,
            kind=Kind.LEAD_REASSIGNED,
            text=message_text(
                "leads_reassigned_bulk", count=count, actor=actor, undone=undone
            ),
            target=None,
            actor_id=actor_id,
        )
        for user_id, count in sorted(lost.items())
    ]
    return notify(messages)
