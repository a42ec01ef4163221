"""Merge two leads (D365 Merge): the master survives with the chosen field values and
takes over the subordinate's timeline, interests and links; the subordinate is closed
as merged and stays readable."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext

from accounts.permissions import visible_to
from leads.exceptions import LeadClosed, TransitionRefused
from leads.models import (
    LEAD_FIELDS,
    Activity,
    Attachment,
    Lead,
    LeadAccount,
    LeadContact,
    LeadProduct,
    Note,
)
from leads.services.locks import lock_leads
from leads.services.scoring import score_leads
from leadsite.core.events import emit
from leadsite.core.services import service, through


def _apply_field_values(*, master: Lead, field_values: dict) -> None:
    unknown = set(field_values) - set(LEAD_FIELDS)
    if unknown:
        raise ValidationError(
            gettext("These fields cannot be chosen in a merge: %(fields)s."),
            params={"fields": ", ".join(sorted(unknown))},
        )
    for name, value in field_values.items():
        field = Lead._meta.get_field(name)
        if field.is_relation:
            setattr(
                master, field.attname, value.pk if isinstance(value, Model) else value
            )
        else:
            setattr(master, name, value)


def _move_timeline(*, master: Lead, subordinate: Lead) -> None:
    for model in (Activity, Note, Attachment):
        model.objects.filter(lead=subordinate).update(lead=master)


def _move_interests(*, master: Lead, subordinate: Lead) -> None:
    """One row per product: on a shared product the master's row stays (its quantity
    wins; the subordinate's note fills an empty note) and the other is dropped."""
    master_rows = {
        row.product_id: row for row in LeadProduct.objects.filter(lead=master)
    }
    for row in LeadProduct.objects.filter(lead=subordinate):
        kept = master_rows.get(row.product_id)
        if kept is None:
            continue
        if not kept.note and row.note:
            kept.note = row.note
            kept.save(update_fields=["note"])
        row.delete()
    LeadProduct.objects.filter(lead=subordinate).update(lead=master)


def _move_links(*, master: Lead, subordinate: Lead) -> None:
    for model, target in ((LeadAccount, "account_id"), (LeadContact, "contact_id")):
        shared = model.objects.filter(lead=master).values_list(target, flat=True)
        model.objects.filter(
            lead=subordinate, **{f"{target}__in": list(shared)}
        ).delete()
        model.objects.filter(lead=subordinate).update(lead=master)


@service
@transaction.atomic
def merge_leads(*, master: Lead, subordinate: Lead, by, field_values: dict) -> Lead:
    """Merge `subordinate` into `master`; return the refreshed master.

    One transaction; both rows are locked (select_for_update, ordered by pk, so two
    merges of the same pair cannot deadlock). Raises Lead.DoesNotExist when either lead is
    outside `by`'s scope, TransitionRefused when they are the same lead, LeadClosed
    (naming the lead) when either is closed, checked under the locks. Applies
    `field_values` (field name -> value; FKs as instance or pk) to the
    master and validates it (full_clean); moves activities, notes, attachments,
    product interests (one row per product) and account/contact links (no duplicate
    rows) to the master; re-points leads merged earlier into the subordinate; keeps
    the earliest first-activity time; then closes the subordinate as merged
    (Disqualified/Canceled, merged, master set; logged with `by`).
    """
    if master.pk == subordinate.pk:
        raise TransitionRefused(
            gettext("A lead cannot be merged with itself."), code="same"
        )
    locked = lock_leads(visible_to(by, Lead.objects.all()), [master.pk, subordinate.pk])
    if len(locked) != 2:
        raise Lead.DoesNotExist("No such lead in your scope.")
    master, subordinate = locked[master.pk], locked[subordinate.pk]
    for lead in (master, subordinate):
        if not lead.is_editable:
            # Two leads: the refusal names the closed one.
            raise LeadClosed(lead, named=True)

    with through("merge"):
        return _merge_locked(
            master=master, subordinate=subordinate, by=by, field_values=field_values
        )


def _merge_locked(*, master: Lead, subordinate: Lead, by, field_values: dict) -> Lead:
    _apply_field_values(master=master, field_values=field_values)
    firsts = [t for t in (master.first_activity_at, subordinate.first_activity_at) if t]
    master.first_activity_at = min(firsts) if firsts else None
    master.full_clean(exclude=["status"])  # protected FSM field: transitions own it
    master.save()

    _move_timeline(master=master, subordinate=subordinate)
    _move_interests(master=master, subordinate=subordinate)
    _move_links(master=master, subordinate=subordinate)
    # Per row (few), so each re-pointed lead's change history records it.
    for earlier in Lead.objects.filter(master=subordinate).order_by("pk"):
        earlier.master = master
        earlier.save(update_fields=["master", "modified_at"])

    subordinate.mark_merged(
        master=master,
        by=by,
        description=gettext("Merged into lead #%(id)s: %(lead)s")
        % {"id": master.pk, "lead": master},
    )
    subordinate.save()
    score_leads([master.pk])
    emit("lead.merged", subordinate, master=master.pk)
    return master
