"""Erasure ("forget this person"): the person's values replaced everywhere they
live, in one transaction; their files removed after the commit, each checked gone.

What goes: on the leads and contacts, the names, email, phones, address, job
title, salutation, description and captured message (the company name and website
too when the company is the person's: a sole trader); the same columns in their
change history; the text of their notes and the bodies of their emails (the rest of
their timeline and their transition log with the person's values replaced); their
attachments (rows and files); their import rows' values and the rows of the
uploaded files; capture fingerprints; inbound mail receipts; notifications, webhook
events and their delivery logs; mass-update rows; duplicate-scan groups and flags;
the names earlier access exports were logged under; and, in every other table, any
text that holds their email address, phone number or full name (stored API
responses, saved list queries, task results...).

What stays, because the business must keep it: that each record existed, its
source, status and reason, dates, amounts, owner, business unit, campaign, capture
form, country and qualification details, its routing log, activities (kind, state,
dates) and opportunities with their values. So the source report's numbers do not
move. The erasure's log (privacy.models.Erasure) keeps who, when, the record ids and
the rows changed per place, never the values.
"""

import secrets

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from accounts.models import Account, Contact, Opportunity, OpportunityProduct
from leads.models import (
    Activity,
    Attachment,
    CaptureSubmission,
    EmailMessage,
    EmailState,
    ExportJob,
    ExportStatus,
    ImportBatch,
    ImportRow,
    InboundMessage,
    Lead,
    LeadState,
    Note,
    PossibleDuplicate,
)
from leads.services.scoring import count_closed, score_leads
from leadsite.core.events import emit
from leadsite.core.services import service
from privacy.exceptions import ErasureBlocked
from privacy.models import Erasure, ErasureStatus
from privacy.scrub import ERASED, Needles, scrub_any, scrub_text
from privacy.selectors.holds import active_holds
from privacy.selectors.people import Subject, subject_needles
from privacy.selectors.places import history_model, label, text_fields, tied_relations
from privacy.services.files import exports_holding, remove_paths, rewrite_import_file
from privacy.services.references import (
    erase_references,
    import_rows_changed,
    sweep_everywhere,
)
from privacy.services.rows import Tally, fit, scrub_rows

_PERSON = {
    "salutation": "",
    "first_name": "",
    "last_name": ERASED,
    "job_title": "",
    "email": "",
    "business_phone": "",
    "mobile_phone": "",
    "address_line1": "",
    "address_line2": "",
    "address_line3": "",
    "city": "",
    "state_or_province": "",
    "postal_code": "",
    "description": "",
}
LEAD_ERASED = {**_PERSON, "original_message": ""}
CONTACT_ERASED = dict(_PERSON)
# When the company is the person's (a sole trader): its name and ways to reach it.
LEAD_COMPANY_ERASED = {"company_name": "", "website": ""}
ACCOUNT_ERASED = {
    "name": ERASED,
    "website": "",
    "phone": "",
    "email": "",
    "description": "",
    "address_line1": "",
    "address_line2": "",
    "address_line3": "",
    "city": "",
    "state_or_province": "",
    "postal_code": "",
}
# Tied models handled by name below, or whose columns are known: the others (a
# consent record added later...) also have their personal-looking columns emptied.
SPECIAL = {
    Activity,
    Note,
    EmailMessage,
    Attachment,
    PossibleDuplicate,
    CaptureSubmission,
    InboundMessage,
}
KNOWN = {
    "leads.LeadAssignment",
    "leads.ImportRow",
    "leads.MassUpdateRow",
    "leads.LeadScore",
    "leads.LeadProduct",
    "leads.LeadAccount",
    "leads.LeadContact",
    "privacy.LegalHold",
}


def blocking_holds(subject: Subject):
    """The active legal holds that stop the subject's erasure."""
    return active_holds(lead_ids=subject.lead_ids, contact_ids=subject.contact_ids)


def _refuse_if_held(subject: Subject) -> None:
    holds = list(blocking_holds(subject))
    if holds:
        raise ErasureBlocked(
            [
                gettext("%(record)s is under a legal hold since %(date)s: %(reason)s")
                % {
                    "record": hold.lead or hold.contact,
                    "date": date_format(
                        timezone.localtime(hold.set_at), "SHORT_DATE_FORMAT"
                    ),
                    "reason": hold.reason,
                }
                for hold in holds
            ]
        )


def _erase_records(records, values: dict, needles: Needles) -> None:
    """Set the erased values and scrub the record's other text, through save(): the
    write guard sees the service, the version moves on (an edit form still open
    with the old values is refused, not saved over the erasure)."""
    for record in records:
        for name, value in values.items():
            setattr(record, name, value)
        for field in text_fields(type(record)):
            if field.name not in values:
                value = getattr(record, field.attname)
                setattr(
                    record,
                    field.attname,
                    fit(field, scrub_any(value, needles, about=True)),
                )
        record.version += 1
        record.save()


def _erase_history(model, ids, values: dict, needles: Needles, tally: Tally) -> None:
    """Every history row of the records: the erased columns set as on the record,
    the rest scrubbed."""
    if not ids:
        return
    history = history_model(model)
    rows = history.objects.filter(id__in=ids)
    count = rows.update(**values) if values else rows.count()
    fields = [f for f in text_fields(history) if f.name not in values]
    scrub_rows(rows, needles, about=True, fields=fields)
    tally.add(history, count)


def _erase_timeline(lead_ids, contact_ids, needles, tally) -> list[dict]:
    """Notes emptied, activity descriptions and email bodies emptied, the rest of
    the timeline scrubbed, inbound receipts scrubbed, attachments deleted. Returns
    the attachments' files, to remove after the commit."""
    regarding = Q(lead_id__in=lead_ids) | Q(contact_id__in=contact_ids)
    notes = Note.objects.filter(regarding)
    tally.add(Note, notes.update(text=ERASED))
    scrub_rows(notes, needles, about=True, fields=[Note._meta.get_field("title")])
    activities = Activity.objects.filter(regarding)
    tally.add(
        Activity,
        len(scrub_rows(activities, needles, about=True, blank={"description"})),
    )
    emails = EmailMessage.objects.filter(regarding)
    # Mail still waiting to go would leave for an erased address: it stays unsent.
    emails.filter(state=EmailState.QUEUED).update(
        state=EmailState.FAILED,
        failure_reason=gettext("Not sent: the person was erased."),
        next_attempt_at=None,
    )
    tally.add(
        EmailMessage, len(scrub_rows(emails, needles, about=True, blank={"body"}))
    )
    receipts = InboundMessage.objects.filter(
        Q(lead_id__in=lead_ids) | Q(email__in=emails)
    )
    tally.add(InboundMessage, len(scrub_rows(receipts, needles, about=True)))
    attachments = Attachment.objects.filter(regarding)
    found = [
        {"kind": "attachment", "id": pk, "path": name}
        for pk, name in attachments.values_list("pk", "file")
        if name
    ]
    tally.add(Attachment, attachments.delete()[0])
    return found


def _erase_tied(lead_ids, contact_ids, needles, tally) -> None:
    """Every other row tied to the records by a foreign key (privacy.selectors
    .places.tied_relations): scrubbed; an unknown model's personal columns
    emptied; capture fingerprints replaced; possible-duplicate flags deleted."""
    ids = {Lead: lead_ids, Contact: contact_ids}
    for model, field_name, target in tied_relations():
        if model in SPECIAL or not ids[target]:
            continue
        rows = model._base_manager.filter(**{f"{field_name}__in": ids[target]})
        unknown = label(model) not in KNOWN
        tally.add(
            model, len(scrub_rows(rows, needles, about=True, blank_personal=unknown))
        )
    submissions = CaptureSubmission.objects.filter(lead_id__in=lead_ids)
    for pk in submissions.values_list("pk", flat=True):
        # The fingerprint is a hash of what the visitor typed.
        CaptureSubmission.objects.filter(pk=pk).update(
            fingerprint=secrets.token_hex(32)
        )
        tally.add(CaptureSubmission, 1)
    flags = PossibleDuplicate.objects.filter(
        Q(lead_id__in=lead_ids)
        | Q(matched_lead_id__in=lead_ids)
        | Q(matched_contact_id__in=contact_ids)
    )
    tally.add(PossibleDuplicate, flags.delete()[0])


def _erase_deals(subject, needles, company_is_person, tally) -> None:
    """The opportunities of the person (qualified from their lead, or with them as
    the customer contact) keep their values, their texts lose the person's; the
    accounts their qualification made lose their name and ways to reach them only
    when the company is the person's."""
    opportunity_ids = [
        lead.qualifying_opportunity_id
        for lead in subject.leads
        if lead.qualifying_opportunity_id
    ]
    opportunities = Opportunity.objects.filter(
        Q(pk__in=opportunity_ids) | Q(contact_id__in=subject.contact_ids)
    )
    ids = list(opportunities.values_list("pk", flat=True))
    tally.add(Opportunity, len(scrub_rows(opportunities, needles, about=True)))
    _erase_history(Opportunity, ids, {}, needles, tally)
    products = OpportunityProduct.objects.filter(opportunity_id__in=ids)
    tally.add(OpportunityProduct, len(scrub_rows(products, needles, about=True)))
    if not company_is_person:
        return
    account_ids = {lead.qualifying_account_id for lead in subject.leads}
    account_ids |= {contact.account_id for contact in subject.contacts}
    account_ids.discard(None)
    tally.add(
        Account, Account.objects.filter(pk__in=account_ids).update(**ACCOUNT_ERASED)
    )
    _erase_history(Account, account_ids, ACCOUNT_ERASED, needles, tally)


def _rename_imports(lead_ids, needles, tally) -> list[str]:
    """The names of the person's import files, scrubbed; returns the old names."""
    old_names = []
    batch_ids = ImportRow.objects.filter(lead_id__in=lead_ids).values("batch_id")
    for batch in ImportBatch.objects.filter(pk__in=batch_ids).only(
        "pk", "original_name"
    ):
        new = scrub_text(batch.original_name, needles, about=True)[:255]
        if new != batch.original_name:
            ImportBatch.objects.filter(pk=batch.pk).update(original_name=new)
            old_names.append(batch.original_name)
            tally.add(ImportBatch, 1)
    return old_names


def _rewrite_imports(lead_ids, changed_rows, needles, written) -> list[dict]:
    """Uploaded import files holding the person's rows, rewritten (the new file's
    path goes to `written`, removed again if the transaction fails); returns the
    old files, to remove after the commit."""
    lines: dict[int, set] = {}
    for batch_id, line in ImportRow.objects.filter(
        Q(lead_id__in=lead_ids) | Q(pk__in=changed_rows)
    ).values_list("batch_id", "line"):
        lines.setdefault(batch_id, set()).add(line)
    found = []
    for batch in ImportBatch.objects.filter(pk__in=lines).order_by("pk"):
        old = rewrite_import_file(batch, lines=lines[batch.pk], needles=needles)
        if old:
            written.append(batch.file.name)
            found.append({"kind": "import", "id": batch.pk, "path": old})
    return found


def _expire_exports(needles, tally) -> list[dict]:
    """Lead exports whose file holds the person: marked removed, their file to go."""
    found = []
    for job in exports_holding(needles):
        found.append({"kind": "export", "id": job.pk, "path": job.file.name})
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.EXPIRED, file="")
        tally.add(ExportJob, 1)
    return found


def _erase(subject, *, by, reference, company_is_person, written) -> Erasure:
    leads = list(
        Lead.objects.select_for_update().filter(pk__in=subject.lead_ids).order_by("pk")
    )
    contacts = list(
        Contact.objects.select_for_update()
        .filter(pk__in=subject.contact_ids)
        .order_by("pk")
    )
    subject = Subject(leads=leads, contacts=contacts)
    if not subject:
        raise ErasureBlocked(gettext("Nothing to erase: the records are gone."))
    _refuse_if_held(subject)
    needles = subject_needles(subject)
    lead_ids, contact_ids = subject.lead_ids, subject.contact_ids
    tally = Tally()
    closed = [lead.pk for lead in leads if lead.state != LeadState.OPEN]
    # The scoring tables count closed leads' values (an email or not): kept equal
    # to a recount, as every service that changes a closed lead keeps them.
    count_closed(closed, -1)
    lead_values = {**LEAD_ERASED, **(LEAD_COMPANY_ERASED if company_is_person else {})}
    _erase_records(leads, lead_values, needles)
    _erase_records(contacts, CONTACT_ERASED, needles)
    tally.add(Lead, len(leads))
    tally.add(Contact, len(contacts))
    count_closed(closed, +1)
    score_leads(lead_ids)
    _erase_history(Lead, lead_ids, lead_values, needles, tally)
    _erase_history(Contact, contact_ids, CONTACT_ERASED, needles, tally)
    files = _erase_timeline(lead_ids, contact_ids, needles, tally)
    _erase_tied(lead_ids, contact_ids, needles, tally)
    _erase_deals(subject, needles, company_is_person, tally)
    erase_references(
        lead_ids=lead_ids, contact_ids=contact_ids, needles=needles, tally=tally
    )
    # Uploaded file names that name the person are replaced first, and looked for
    # everywhere like an email address ("Your import “smith.csv” finished").
    needles = needles.with_strong(_rename_imports(lead_ids, needles, tally))
    changed = sweep_everywhere(needles=needles, tally=tally)
    files += _rewrite_imports(lead_ids, import_rows_changed(changed), needles, written)
    files += _expire_exports(needles, tally)
    for lead in leads:
        # Webhook subscribers hold copies: they hear of the erased values.
        emit("lead.updated", lead)
    for entry in files:
        entry["gone"] = None
    return Erasure.objects.create(
        erased_by=by,
        reference=reference,
        lead_ids=lead_ids,
        contact_ids=contact_ids,
        counts=dict(sorted(tally.items())),
        files=files,
        status=ErasureStatus.FILES_PENDING if files else ErasureStatus.DONE,
        files_checked_at=None if files else timezone.now(),
    )


@service
def erase_person(
    *, subject: Subject, by, reference: str = "", company_is_person: bool = False
) -> Erasure:
    """Erase the subject's records everywhere (see the module), in one transaction
    with the records locked (leads, then contacts, by id). Refused with
    ErasureBlocked, naming each hold and its reason, while an active legal hold is
    on any of them; then nothing changes. After the commit the files go
    (remove_erasure_files). Returns the erasure's log row."""
    written: list[str] = []
    try:
        with transaction.atomic():
            erasure = _erase(
                subject,
                by=by,
                reference=reference,
                company_is_person=company_is_person,
                written=written,
            )
            transaction.on_commit(lambda: remove_erasure_files(erasure_id=erasure.pk))
    except BaseException:
        # Rewritten import files of a rolled-back erasure point nowhere: gone too.
        for path in written:
            default_storage.delete(path)
        raise
    return erasure


@service
@transaction.atomic
def remove_erasure_files(*, erasure_id: int) -> Erasure:
    """Remove the erasure's files and check each path is gone; stores the result
    per file and the erasure's status. Safe to run again (a file already gone is
    checked, not removed twice)."""
    erasure = Erasure.objects.select_for_update().get(pk=erasure_id)
    erasure.files = remove_paths(erasure.files)
    gone = all(entry["gone"] for entry in erasure.files)
    erasure.status = ErasureStatus.DONE if gone else ErasureStatus.FILES_FAILED
    erasure.files_checked_at = timezone.now()
    erasure.save(update_fields=["files", "status", "files_checked_at"])
    return erasure
