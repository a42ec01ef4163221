"""Reads for inbound mail: the alias an address names, the message a reply answers,
the sender's open lead, a sender's recent messages (the rate limit) and whether a
provider's post was seen before. Inbound mail has no user: nothing here is gated."""

import datetime

from django.db.models import Q

from leads.models import EmailMessage, InboundMessage, Lead, LeadState, MailAlias


def alias_for_address(address: str) -> MailAlias | None:
    """The active alias whose address this is (any case), or None."""
    if not address:
        return None
    return (
        MailAlias.objects.filter(address__iexact=address.strip(), is_active=True)
        .select_related("business_unit", "capture_form")
        .first()
    )


def aliases_to_poll() -> list[MailAlias]:
    """Active aliases with an IMAP mailbox, in address order."""
    return list(
        MailAlias.objects.filter(is_active=True)
        .exclude(imap_host="")
        .select_related("business_unit", "capture_form")
    )


def answered_message(*, token: str, message_ids: list[str]) -> EmailMessage | None:
    """The message a reply answers: the one whose reply address carries `token`,
    else the newest of `message_ids` (In-Reply-To, then References) that is ours."""
    related = ("lead", "account", "contact", "opportunity")
    if token:
        found = (
            EmailMessage.objects.filter(reply_token=token)
            .select_related(*related)
            .first()
        )
        if found is not None:
            return found
    ids = [i for i in message_ids if i]
    if not ids:
        return None
    found = {
        email.message_id: email
        for email in EmailMessage.objects.filter(message_id__in=ids).select_related(
            *related
        )
    }
    return next((found[i] for i in ids if i in found), None)


def open_lead_of(address: str) -> Lead | None:
    """The sender's newest open lead (by email, any case; never a merged one)."""
    if not address:
        return None
    return (
        Lead.objects.filter(
            Q(email__iexact=address), state=LeadState.OPEN, merged=False
        )
        .order_by("-pk")
        .first()
    )


def recent_count(*, sender: str, since: datetime.datetime, exclude_pk=None) -> int:
    """How many messages from `sender` arrived since `since` (the index
    inbound_sender_time)."""
    return (
        InboundMessage.objects.filter(sender=sender, received_at__gte=since)
        .exclude(pk=exclude_pk)
        .count()
    )


def webhook_token_seen(token: str) -> bool:
    return bool(token) and InboundMessage.objects.filter(webhook_token=token).exists()


def receipt_for(*, message_id: str, webhook_token: str | None) -> InboundMessage:
    """The receipt already stored for this message (or this post)."""
    condition = Q(message_id=message_id)
    if webhook_token:
        condition |= Q(webhook_token=webhook_token)
    return InboundMessage.objects.filter(condition).order_by("pk").first()


def is_our_message(message_id: str) -> bool:
    """A message with this Message-ID is already on a record (sent from LeadSite,
    or received before)."""
    return EmailMessage.objects.filter(message_id=message_id).exists()
