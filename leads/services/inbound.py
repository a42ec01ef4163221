"""Receiving mail: one inbound message (from an IMAP mailbox or a provider's
webhook) becomes a receipt and, by what it is, a reply on the record it answers, an
email on its sender's open lead, a new lead, or nothing.

Each message is handled once, by its Message-ID: the receipt (InboundMessage) is
inserted first under a unique constraint, so the same message fetched twice, or
posted by two workers at once, is stored by one and is a no-op for the other. The
receipt and everything the message writes commit together: a failure leaves no
receipt, and the message is taken again next time.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext

from leads.mail.parsing import (
    InboundMail,
    cut_text,
    parse_message,
    parse_rate,
    reply_token,
    split_name,
)
from leads.models import (
    Activity,
    ActivityKind,
    Direction,
    EmailMessage,
    EmailState,
    InboundMessage,
    InboundOutcome,
    Lead,
    LeadSource,
    MailAlias,
)
from leads.selectors import inbound as selectors
from leads.services.capture import (
    flag_possible_duplicates,
    incoming_owner,
    route_incoming_lead,
)
from leads.services.lifecycle import create_lead
from leads.services.locks import lock_lead
from leads.services.timeline import add_attachment, add_note, regarding_kwargs
from leadsite.core.events import emit
from leadsite.core.services import service
from leadsite.core.validation import full_clean

# The text kept of a message whose whole is over the size limit, in characters.
OVERSIZE_TEXT_CHARS = 20_000
# The text kept of any message (the timeline shows it; the rest is quoted history).
MAX_TEXT_CHARS = 100_000
MACHINE_OUTCOMES = {
    "auto_reply": InboundOutcome.AUTO_REPLY,
    "bounce": InboundOutcome.BOUNCE,
}


@dataclass
class Received:
    receipt: InboundMessage
    # False: this message (or this post) was handled before; nothing was written.
    new: bool


def _max_size() -> int:
    return int(getattr(settings, "LEADSITE_INBOUND_MAX_SIZE", 10 * 1024 * 1024))


def _rate_limited(receipt: InboundMessage, now) -> bool:
    count, seconds = parse_rate(
        getattr(settings, "LEADSITE_INBOUND_RATE_PER_SENDER", "20/h")
    )
    if not count or not receipt.sender:
        return False
    since = now - datetime.timedelta(seconds=seconds)
    earlier = selectors.recent_count(
        sender=receipt.sender, since=since, exclude_pk=receipt.pk
    )
    return earlier >= count


def _own_addresses() -> set[str]:
    reply = getattr(settings, "LEADSITE_REPLY_ADDRESS", "").strip().lower()
    return {reply} | set(
        a.lower() for a in MailAlias.objects.values_list("address", flat=True)
    )


def _is_own(address: str) -> bool:
    """Mail from our own reply address or an alias: a loop, never stored."""
    local, _, domain = address.rpartition("@")
    base = f"{local.partition('+')[0]}@{domain}"
    return address in _own_addresses() or base in _own_addresses()


def _what_was_dropped(mail: InboundMail, *, oversize: bool, cut: bool, refused):
    """The note's sentence for what a stored message lost, or ""."""
    parts = []
    if oversize:
        parts.append(
            gettext(
                "This email was %(size)s, over the %(limit)s limit for inbound mail"
            )
            % {"size": filesizeformat(mail.size), "limit": filesizeformat(_max_size())}
        )
        if mail.attachments:
            names = ", ".join(a.filename for a in mail.attachments)
            parts.append(
                gettext("its attachments were not kept (%(names)s)") % {"names": names}
            )
    if cut:
        parts.append(
            gettext("its text was cut to the first %(count)s characters")
            % {"count": number_format(len(mail.text), force_grouping=True)}
        )
    for name, why in refused:
        parts.append(
            gettext("the attachment %(name)s was not kept: %(reason)s")
            % {"name": name, "reason": why}
        )
    if not parts:
        return ""
    return "; ".join(parts)[:1].upper() + "; ".join(parts)[1:] + "."


def _store_email(
    *, record, mail: InboundMail, parent: EmailMessage | None, now
) -> EmailMessage:
    """The received email on `record`'s timeline: a completed incoming Email
    activity and its EmailMessage, the attachments through the upload checks, and
    a note naming whatever was not kept. The lead's status and first-activity time
    stay as they are: nobody contacted the lead."""
    if isinstance(record, Lead):
        record = lock_lead(record.pk, related=())
    oversize = mail.size > _max_size()
    text, cut = cut_text(mail.text, OVERSIZE_TEXT_CHARS if oversize else MAX_TEXT_CHARS)
    mail.text = text
    owner = record.owner_user or incoming_owner(record.business_unit)
    subject = mail.subject or gettext("(no subject)")
    activity = Activity(
        kind=ActivityKind.EMAIL,
        subject=subject[:200],
        description=text,
        direction=Direction.INCOMING,
        owner=owner,
        created_by=None,
        **regarding_kwargs(record),
    )
    activity.full_clean(exclude=["state"])
    activity.save()
    activity.complete(by=None, description=gettext("Received"))
    activity.save(update_fields=["state", "completed_at"])
    email = EmailMessage(
        activity=activity,
        direction=Direction.INCOMING,
        state=EmailState.RECEIVED,
        from_address=(mail.sender_header or mail.sender_address)[:320],
        to_address=mail.to_header[:320],
        subject=subject[:300],
        body=text,
        message_id=mail.message_id[:255],
        in_reply_to=mail.in_reply_to[:255],
        parent=parent,
        queued_at=now,
        received_at=now,
        **regarding_kwargs(record),
    )
    full_clean(email)
    email.save()
    refused = []
    for part in [] if oversize else mail.attachments:
        upload = SimpleUploadedFile(part.filename, part.content, part.content_type)
        try:
            add_attachment(record=record, by=None, upload=upload)
        except ValidationError as error:
            refused.append((part.filename, " ".join(error.messages)))
    dropped = _what_was_dropped(mail, oversize=oversize, cut=cut, refused=refused)
    if dropped:
        title = gettext("Email: %(subject)s") % {"subject": subject}
        add_note(record=record, by=None, title=title[:200], text=dropped)
    return email


def _thread_record(parent: EmailMessage):
    """The record a reply lands on: its message's, or the lead it was merged into."""
    record = parent.regarding
    while isinstance(record, Lead) and record.merged and record.master_id:
        record = Lead.objects.get(pk=record.master_id)
    return record


def _new_lead(*, alias: MailAlias, mail: InboundMail) -> Lead:
    """A lead from a message to an alias, as a capture form makes one: owned by the
    unit's fallback owner until routing (trigger "capture") decides, flagged
    against known leads and contacts with the same address."""
    form = alias.capture_form
    unit = form.business_unit if form else alias.business_unit
    owner = incoming_owner(unit)
    first_name, last_name = split_name(mail.sender_name, mail.sender_address)
    lead = create_lead(
        by=owner,
        owner_user=owner,
        business_unit=unit,
        subject=(
            mail.subject
            or gettext("Email from %(address)s") % {"address": mail.sender_address}
        )[:300],
        first_name=first_name,
        last_name=last_name,
        email=mail.sender_address[:254],
        original_message=mail.text,
        source=LeadSource.EMAIL,
        campaign=form.campaign if form else None,
        capture_form=form,
    )
    lead.created_by = None
    lead.save(update_fields=["created_by"])
    lead = route_incoming_lead(lead=lead, by=None, trigger="capture")
    flag_possible_duplicates(lead=lead, origin="email")
    return lead


def _claim(receipt: InboundMessage) -> bool:
    """Insert the receipt; False when this message (or post) has one already."""
    try:
        with transaction.atomic():
            receipt.save()
    except IntegrityError:
        return False
    return True


@service
@transaction.atomic
def receive_message(
    *,
    raw: bytes,
    transport: str,
    alias: MailAlias | None = None,
    recipient: str = "",
    return_path: str | None = None,
    webhook_token: str | None = None,
    now: datetime.datetime | None = None,
) -> Received:
    """Handle one inbound message (its raw bytes), in this order:

    1. the same Message-ID (or the same webhook token) seen before: nothing;
    2. an auto-reply or a bounce, or mail from our own addresses: receipt only;
    3. a sender over LEADSITE_INBOUND_RATE_PER_SENDER: receipt only;
    4. a reply (its reply address's token, else In-Reply-To/References naming one
       of our messages): stored on that message's record, its owner told
       ("email.received");
    5. to an alias of a unit or a capture form: joins the sender's open lead
       (owner told), else becomes a new lead (source Email), routed and flagged
       for duplicates as a captured lead;
    6. anything else: refused (receipt only).

    A message over LEADSITE_INBOUND_MAX_SIZE keeps its text (cut) and a note of
    what was dropped. Returns the receipt; `new` is False for a repeat.
    """
    now = now or timezone.now()
    mail = parse_message(raw, recipient=recipient, return_path=return_path)
    receipt = InboundMessage(
        message_id=mail.message_id[:255],
        alias=alias,
        transport=transport,
        sender=mail.sender_address[:320],
        subject=mail.subject[:300],
        size=mail.size,
        outcome=InboundOutcome.REFUSED,
        webhook_token=webhook_token or None,
        received_at=now,
    )
    if not _claim(receipt):
        existing = selectors.receipt_for(
            message_id=receipt.message_id, webhook_token=webhook_token
        )
        return Received(receipt=existing, new=False)
    _handle(receipt, mail, alias=alias, now=now)
    receipt.save(update_fields=["outcome", "detail", "lead", "email"])
    return Received(receipt=receipt, new=True)


def _handle(receipt: InboundMessage, mail: InboundMail, *, alias, now) -> None:
    if mail.machine:
        receipt.outcome = MACHINE_OUTCOMES[mail.machine]
        receipt.detail = mail.machine_reason[:300]
        return
    if not mail.sender_address or _is_own(mail.sender_address):
        receipt.outcome = InboundOutcome.AUTO_REPLY
        receipt.detail = gettext("From one of LeadSite's own addresses (a mail loop).")
        return
    if _rate_limited(receipt, now):
        receipt.outcome = InboundOutcome.RATE_LIMITED
        receipt.detail = gettext(
            "More messages from this sender than the rate limit allows."
        )
        return
    if selectors.is_our_message(mail.message_id):
        receipt.detail = gettext("A copy of a message sent from LeadSite.")
        return
    token = _token(mail)
    parent = selectors.answered_message(
        token=token, message_ids=[mail.in_reply_to, *reversed(mail.references)]
    )
    if parent is not None:
        record = _thread_record(parent)
        receipt.email = _store_email(record=record, mail=mail, parent=parent, now=now)
        receipt.lead = record if isinstance(record, Lead) else None
        receipt.outcome = InboundOutcome.REPLY
        emit("email.received", receipt.email)
        return
    if alias is None or not (alias.business_unit_id or alias.capture_form_id):
        receipt.detail = gettext(
            "Not a reply to a message sent from LeadSite, and not to an address "
            "that makes leads."
        )
        return
    lead = selectors.open_lead_of(mail.sender_address)
    if lead is not None:
        receipt.email = _store_email(record=lead, mail=mail, parent=None, now=now)
        receipt.lead, receipt.outcome = lead, InboundOutcome.JOINED_LEAD
        emit("email.received", receipt.email)
        return
    lead = _new_lead(alias=alias, mail=mail)
    receipt.email = _store_email(record=lead, mail=mail, parent=None, now=now)
    receipt.lead, receipt.outcome = lead, InboundOutcome.LEAD_CREATED


def _token(mail: InboundMail) -> str:
    return reply_token(mail.recipients, getattr(settings, "LEADSITE_REPLY_ADDRESS", ""))


@service
@transaction.atomic
def save_mail_alias(*, by, instance: MailAlias | None, data: dict) -> MailAlias:
    """Create or change an inbound alias (the admin's form). A blank password in
    `data` keeps the stored one. The address is kept in lower case."""
    alias = instance or MailAlias()
    for name, value in data.items():
        if name == "imap_password" and not value:
            continue
        setattr(alias, name, value)
    alias.address = (alias.address or "").strip().lower()
    full_clean(alias)
    alias.save()
    return alias


@service
def record_poll(*, alias: MailAlias, error: str = "", now=None) -> None:
    """Note when an alias's mailbox was polled and the error it ended with ("":
    none)."""
    MailAlias.objects.filter(pk=alias.pk).update(
        last_polled_at=now or timezone.now(), last_error=error[:2000]
    )
