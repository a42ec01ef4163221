"""Demo data for email from the record: the templates administrators keep, and a
few emails the demo rep sent from their leads (one of them failed, to show "Try
again"). Idempotent: templates by name; emails only on leads that have none. The
loader writes the rows directly, as the rest of the demo (seed_demo's service
context)."""

import secrets
from email.utils import formataddr

from django.conf import settings

from leads.models import (
    Activity,
    ActivityKind,
    ActivityState,
    Direction,
    EmailMessage,
    EmailState,
    EmailTemplate,
    Lead,
    LeadState,
    new_reply_token,
)
from leads.selectors.emails import draft_email
from leads.services.emails import sender_address

TEMPLATES = [
    (
        "First contact",
        "{{ company }} and Contoso: a short call?",
        "Hello {{ first_name }},\n\n"
        "thank you for your interest in our products. I look after "
        "{{ company }}'s enquiry and would like to understand what you need: "
        "would a 20-minute call this week suit you?\n\n"
        "Best regards,\n{{ signature }}",
    ),
    (
        "Follow-up after a call",
        "Following up on our call, {{ first_name }}",
        "Hello {{ first_name }},\n\n"
        "thanks again for your time today. As promised, I am sending the overview "
        "we discussed; tell me which points matter most to {{ company }} and I "
        "will prepare a proposal.\n\n"
        "Kind regards,\n{{ signature }}",
    ),
    (
        "Proposal sent",
        "Your proposal from Contoso",
        "Dear {{ full_name }},\n\n"
        "please find our proposal for {{ company }} in the link below. I am "
        "happy to walk you through it; if I am away, {{ owner_name }} will "
        "answer.\n\n{{ signature }}",
    ),
    (
        "Checking in",
        "Is now a better time, {{ first_name }}?",
        "Hello {{ first_name }},\n\n"
        "we spoke a while ago about {{ company }}'s plans. Has anything changed? "
        "A reply to this email reaches me directly.\n\n{{ signature }}",
    ),
]
SENT_EMAILS = 4
SIGNATURE = "{name}\nSales, Contoso Ltd.\n+1 555 0100"


def build_emails(ctx):
    """The templates, the demo rep's signature, and emails on a few of the rep's
    open leads: sent in the last days, the last one failed."""
    templates = [
        EmailTemplate.objects.get_or_create(
            name=name, defaults={"subject": subject, "body": body}
        )[0]
        for name, subject, body in TEMPLATES
    ]
    rep = ctx.users.get("rep")
    if rep is None:
        return
    if not rep.email_signature:
        rep.email_signature = SIGNATURE.format(name=rep)
        rep.save(update_fields=["email_signature"])
    leads = list(
        Lead.objects.filter(owner_user=rep, state=LeadState.OPEN, do_not_email=False)
        .exclude(email="")
        .select_related("owner_user", "owner_team")
        .order_by("-created_at")[:SENT_EMAILS]
    )
    if EmailMessage.objects.filter(lead__in=leads).exists():
        return
    for number, lead in enumerate(leads):
        template = templates[number % len(templates)]
        # Between the lead's creation and now; the lead's first activity time
        # stays its earliest activity's.
        sent_at = lead.created_at + (ctx.now - lead.created_at) / (number + 2)
        failed = number == len(leads) - 1
        _write_email(lead, rep, template, sent_at, failed=failed)
        if lead.first_activity_at is None or sent_at < lead.first_activity_at:
            Lead.objects.filter(pk=lead.pk).update(first_activity_at=sent_at)


def _write_email(lead, rep, template, at, *, failed):
    draft = draft_email(
        record=lead, sender=rep, subject=template.subject, body=template.body
    )
    activity = Activity.objects.create(
        lead=lead,
        kind=ActivityKind.EMAIL,
        direction=Direction.OUTGOING,
        subject=draft.subject[:200],
        description=draft.body,
        owner=rep,
        created_by=rep,
        created_at=at,
        state=ActivityState.OPEN if failed else ActivityState.COMPLETED,
        completed_at=None if failed else at,
    )
    domain = settings.LEADSITE_MESSAGE_ID_DOMAIN
    EmailMessage.objects.create(
        activity=activity,
        lead=lead,
        direction=Direction.OUTGOING,
        state=EmailState.FAILED if failed else EmailState.SENT,
        from_address=sender_address(rep),
        to_address=formataddr((draft.recipient.name, draft.recipient.address)),
        subject=draft.subject,
        body=draft.body,
        template=template,
        message_id=f"<{secrets.token_hex(16)}@{domain}>",
        reply_token=new_reply_token(),
        attempts=5 if failed else 1,
        failure_reason=(
            "SMTPRecipientsRefused: 550 5.1.1 mailbox unavailable" if failed else ""
        ),
        created_by=rep,
        created_at=at,
        queued_at=at,
        sent_at=None if failed else at,
    )
