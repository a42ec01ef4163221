"""Demo data for consent: two purposes, the website form asking for both (double
opt-in), a newsletter template bound to its purpose, and consents on a few of the
demo rep's newest open leads and on one contact: given on the form, confirmed by
the link, given by phone, withdrawn by email, awaiting confirmation, and one left
unconfirmed (flagged as the daily job does). Idempotent: purposes and the template
by name; consents only when there are none yet. Written through the consent
services, so the log and the current states agree."""

import datetime

from django.db.models import Case, Value, When

from accounts.models import Contact
from leads.models import (
    CaptureFormPurpose,
    ConsentEvent,
    ConsentMethod,
    ConsentPurpose,
    ConsentStatus,
    EmailTemplate,
    Lead,
    LeadState,
)
from leads.services.consent import flag_unconfirmed_consents, record_consent

PURPOSES = [
    (
        "Newsletter",
        "newsletter",
        "The monthly newsletter: product news, events and offers.",
        "Yes, send me Contoso's monthly newsletter. I can unsubscribe at any time.",
    ),
    (
        "Sales follow-up",
        "sales_follow_up",
        "A sales rep may contact the person about their enquiry and offers.",
        "Contoso's sales team may contact me about offers that fit my enquiry.",
    ),
]
VERSION = "2025-01"
NEWSLETTER = (
    "Monthly newsletter",
    "News from Contoso, {{ first_name }}",
    "Hello {{ first_name }},\n\n"
    "this month: our new service plans, the spring trade show dates and a "
    "customer story from the logistics sector.\n\n"
    "You receive this email because you subscribed to our newsletter; reply "
    "“unsubscribe” to stop it.\n\n{{ signature }}",
)


def build_consent(ctx):
    purposes = [
        ConsentPurpose.objects.get_or_create(
            code=code, defaults={"name": name, "description": description}
        )[0]
        for name, code, description, _wording in PURPOSES
    ]
    newsletter, follow_up = purposes
    name, subject, body = NEWSLETTER
    EmailTemplate.objects.get_or_create(
        name=name, defaults={"subject": subject, "body": body, "purpose": newsletter}
    )
    form = ctx.capture_form
    if form is not None and not form.consent_purposes.exists():
        form.double_opt_in = True
        form.save(update_fields=["double_opt_in"])
        for position, (purpose, row) in enumerate(zip(purposes, PURPOSES, strict=True)):
            CaptureFormPurpose.objects.create(
                capture_form=form,
                purpose=purpose,
                wording=row[3],
                version=VERSION,
                position=position,
            )
    rep = ctx.users.get("rep")
    if rep is None or ConsentEvent.objects.exists():
        return
    # The rep's newest open leads, then others' when the rep has fewer than six
    # (a small seed): every kind of consent below is in the demo whatever it drew.
    leads = list(
        Lead.objects.filter(state=LeadState.OPEN, do_not_email=False)
        .exclude(email="")
        .order_by(
            Case(When(owner_user=rep, then=Value(0)), default=Value(1)),
            "-created_at",
        )[:6]
    )
    days = datetime.timedelta(days=1)
    wording = {
        purpose.pk: row[3] for purpose, row in zip(purposes, PURPOSES, strict=True)
    }

    def on_form(lead, purpose, status, at):
        return record_consent(
            person=lead,
            purpose=purpose,
            status=status,
            method=ConsentMethod.CAPTURE_FORM,
            by=None,
            at=at,
            wording=wording[purpose.pk],
            wording_version=VERSION,
            capture_form=form,
        )

    def by_rep(person, purpose, status, method, at, note=""):
        record_consent(
            person=person,
            purpose=purpose,
            status=status,
            method=method,
            by=rep,
            at=at,
            note=note,
        )

    now = ctx.now
    for number, lead in enumerate(leads):
        if number == 0:  # asked on the form and confirmed through the link
            pending = on_form(lead, newsletter, ConsentStatus.PENDING, now - 3 * days)
            record_consent(
                person=lead,
                purpose=newsletter,
                status=ConsentStatus.GIVEN,
                method=ConsentMethod.DOUBLE_OPT_IN,
                by=None,
                at=now - 3 * days + datetime.timedelta(minutes=12),
                wording=pending.wording,
                wording_version=pending.wording_version,
                capture_form=form,
                confirms=pending,
            )
            by_rep(
                lead, follow_up, ConsentStatus.GIVEN, ConsentMethod.PHONE, now - days
            )
        elif number == 1:  # given by phone, newsletter withdrawn by email
            by_rep(
                lead,
                follow_up,
                ConsentStatus.GIVEN,
                ConsentMethod.PHONE,
                now - 9 * days,
            )
            by_rep(
                lead,
                newsletter,
                ConsentStatus.GIVEN,
                ConsentMethod.IN_PERSON,
                now - 30 * days,
                note="Signed up at the trade show stand.",
            )
            by_rep(
                lead,
                newsletter,
                ConsentStatus.WITHDRAWN,
                ConsentMethod.EMAIL,
                now - 2 * days,
                note="Asked by email to stop the newsletter.",
            )
        elif number == 2:  # asked on the form, not confirmed in time
            on_form(lead, newsletter, ConsentStatus.PENDING, now - 10 * days)
        elif number == 3:  # asked on the form yesterday, link not followed yet
            on_form(lead, follow_up, ConsentStatus.PENDING, now - days)
        else:
            by_rep(
                lead,
                follow_up,
                ConsentStatus.GIVEN,
                ConsentMethod.EMAIL,
                now - 5 * days,
            )
    contact = Contact.objects.filter(owner_user=rep).order_by("pk").first()
    if contact is not None:
        by_rep(
            contact,
            newsletter,
            ConsentStatus.GIVEN,
            ConsentMethod.IN_PERSON,
            now - 20 * days,
            note="Business card left at the customer day.",
        )
    flag_unconfirmed_consents(now=now)
